"""Gradual rollouts: their configuration, state and the controller's pure rules (model),
the store, and the controller with its lease.
"""
