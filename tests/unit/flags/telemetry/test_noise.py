"""The noise baseline's rule, as a table: a field is a v4 difference only when its raw
mismatch rate exceeds its noise rate by both thresholds."""

from __future__ import annotations

import pytest

from jewgo.flags.telemetry.noise import DEFAULT_RULE, NoiseRule, figures, mismatches_beyond_noise
from jewgo.flags.telemetry.window import Cell


def shadow(comparisons: int, noise_runs: int, **counts: int) -> Cell:
    """A shadow cell: `raw_X`/`noise_X` keyword counts for field `T.X`."""
    extra = {"noise_comparisons": noise_runs}
    for key, n in counts.items():
        if key == "mismatches":
            continue
        kind, field = key.split("_", 1)
        extra[("field:" if kind == "raw" else "noise:") + f"T.{field}"] = n
    extra["mismatch"] = counts.get(
        "mismatches", sum(n for k, n in counts.items() if k.startswith("raw"))
    )
    return Cell(calls=comparisons, extra=extra)


@pytest.mark.parametrize(
    ("cell", "beyond"),
    [
        # Never noise: any mismatch above the absolute threshold (0.03 % of comparisons).
        (shadow(1000, 100, raw_a=1), True),
        (shadow(100_000, 100, raw_a=10), False),  # 0.01 %: under the absolute threshold
        # Noisy in half the v3 runs, half the v4 comparisons: noise, not v4.
        (shadow(1000, 100, raw_a=500, noise_a=50), False),
        # Within 20 % above its noise: still noise.
        (shadow(1000, 100, raw_a=590, noise_a=50), False),
        # More than 20 % above its noise, and by more than 0.03 %: v4.
        (shadow(1000, 100, raw_a=700, noise_a=50), True),
        # Noise seen, no v4 mismatch: nothing to report.
        (shadow(1000, 100, noise_a=5), False),
    ],
)
def test_a_field_is_a_v4_difference_only_beyond_its_noise(cell: Cell, beyond: bool) -> None:
    (found,) = figures(cell, DEFAULT_RULE)
    assert found.beyond_noise is beyond


def test_the_guard_counts_only_the_mismatches_beyond_noise() -> None:
    cell = shadow(1000, 100, raw_noisy=500, noise_noisy=50, raw_real=30)
    assert {f.field: f.beyond_noise for f in figures(cell, DEFAULT_RULE)} == {
        "T.noisy": False, "T.real": True,
    }  # fmt: skip
    assert mismatches_beyond_noise(cell, DEFAULT_RULE) == 30


def test_mismatches_of_no_known_field_always_count_and_the_sum_is_capped() -> None:
    unnamed = Cell(calls=10, extra={"mismatch": 3, "mismatch_unnamed": 3})
    assert mismatches_beyond_noise(unnamed, DEFAULT_RULE) == 3
    # Two fields differing in the same two comparisons: two mismatches, not four.
    both = shadow(10, 0, raw_a=2, raw_b=2, mismatches=2)
    assert mismatches_beyond_noise(both, DEFAULT_RULE) == 2


def test_the_thresholds_come_from_the_rule() -> None:
    cell = shadow(1000, 100, raw_a=590, noise_a=50)
    assert figures(cell, NoiseRule(relative=0.1, absolute=0.0003))[0].beyond_noise is True
    assert figures(cell, NoiseRule(relative=0.1, absolute=0.1))[0].beyond_noise is False


def test_fields_are_listed_most_mismatches_first() -> None:
    cell = shadow(100, 40, raw_b=1, raw_a=5, noise_c=8)
    assert [f.field for f in figures(cell, DEFAULT_RULE)] == ["T.a", "T.b", "T.c"]
    assert figures(cell, DEFAULT_RULE)[2].noise_rate == 0.2


def test_a_few_noise_runs_do_not_make_a_field_noise() -> None:
    # One noisy run of one (a write between the two runs of v3) blinds nothing.
    cell = shadow(100, 1, raw_a=100, noise_a=1)
    (found,) = figures(cell, DEFAULT_RULE)
    assert (found.noise_rate, found.beyond_noise) == (0.0, True)
    assert mismatches_beyond_noise(cell, DEFAULT_RULE) == 100
    assert figures(cell, NoiseRule(min_runs=1))[0].beyond_noise is False


async def test_the_rollout_guard_reads_the_mismatches_beyond_noise() -> None:
    from jewgo.flags.rollouts.controller import HealthSource
    from jewgo.flags.telemetry.window import WindowMetrics

    metrics = WindowMetrics(clock=lambda: 1_000_000.0)
    cell = shadow(1000, 100, raw_noisy=500, noise_noisy=50, raw_real=3, mismatches=503)
    metrics.add(("api_v4_restaurants", "shadow"), cell)
    health = await HealthSource(metrics)("api_v4_restaurants", 60)
    assert (health.shadow_comparisons, health.shadow_mismatches) == (1000, 3)
    strict = await HealthSource(metrics, NoiseRule(relative=0, absolute=0.9))(
        "api_v4_restaurants", 60
    )
    assert strict.shadow_mismatches == 0
