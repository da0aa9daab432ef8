"""The metrics window: buckets in time, percentiles from the histogram."""

from __future__ import annotations

import pytest

from jewgo.flags.telemetry.window import (
    BOUNDS_MS,
    CACHED,
    Cell,
    Observation,
    WindowMetrics,
    versions_of,
)


def test_percentiles_are_interpolated_within_their_bucket() -> None:
    cell = Cell()
    for ms in [10.0] * 90 + [200.0] * 10:
        cell.histogram[next(i for i, bound in enumerate(BOUNDS_MS) if ms <= bound)] += 1
    assert cell.percentile_ms(0.5) == pytest.approx(10.0, rel=0.25)
    assert cell.percentile_ms(0.99) == pytest.approx(200.0, rel=0.25)
    assert Cell().percentile_ms(0.5) is None


def test_the_error_rate_is_a_percentage_of_calls() -> None:
    assert Cell(calls=200, errors=3).error_rate_percent == 1.5
    assert Cell().error_rate_percent == 0.0


def test_the_window_keeps_only_recent_buckets() -> None:
    now = [10_000.0]
    metrics = WindowMetrics(bucket_seconds=5, clock=lambda: now[0])
    metrics.record(Observation("restaurants", "v4", 0.010, internal_error=True))
    now[0] += 30
    metrics.record(Observation("restaurants", "v4", 0.020, internal_error=False))
    metrics.record(Observation("restaurants", "v3", 0.005, internal_error=False))
    recent = metrics.local_window(10)
    assert (recent[("restaurants", "v4")].calls, recent[("restaurants", "v4")].errors) == (1, 0)
    everything = metrics.local_window(60)
    assert (everything[("restaurants", "v4")].calls, everything[("restaurants", "v4")].errors) == (
        2,
        1,
    )
    totals = versions_of(everything, ("restaurants", "reviews"))
    assert (totals["v3"].calls, totals["v4"].calls) == (1, 2)


def test_cached_answers_are_counted_apart_from_calls_and_errors() -> None:
    metrics = WindowMetrics(bucket_seconds=5, clock=lambda: 10_000.0)
    metrics.record(Observation("restaurants", "v4", 0.010, internal_error=True))
    metrics.record(Observation("restaurants", "v4", 0.010, internal_error=False))
    for _ in range(98):
        metrics.count([("restaurants", "v4"), ("users", "v4")], CACHED)
    cell = metrics.local_window(60)[("restaurants", "v4")]
    # Served 100 times, executed twice: the error rate stays over the executions.
    assert (cell.calls, cell.errors, cell.extra[CACHED]) == (2, 1, 98)
    assert cell.error_rate_percent == 50.0
    assert sum(cell.histogram) == 2
    assert metrics.local_window(60)[("users", "v4")].extra == {CACHED: 98}
