"""Benchmarks: run them, read the medians. They are not tests and assert nothing."""
