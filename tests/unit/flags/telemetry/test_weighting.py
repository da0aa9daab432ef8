"""The guard's error rate, weighted by caller: floods count as one caller's share."""

from __future__ import annotations

import pytest

from jewgo.flags.telemetry.weighting import SLOTS, slot, weigh

SHARE = 0.02


def honest(callers: int, calls: int = 5, errors: int = 0) -> dict[int, tuple[int, int]]:
    return dict.fromkeys(range(callers), (calls, errors))


def test_slots_are_stable_and_in_range() -> None:
    assert slot("user:7") == slot("user:7")
    assert {slot(f"address:10.0.0.{n}") for n in range(200)} <= set(range(SLOTS))


def test_even_traffic_is_its_plain_error_rate() -> None:
    assert weigh(honest(100, calls=10, errors=1), SHARE).rate_percent == pytest.approx(10.0)


def test_one_caller_flooding_errors_counts_for_at_most_its_share() -> None:
    slots = honest(100) | {100: (400, 400)}
    weighted = weigh(slots, SHARE)
    assert weighted.rate_percent <= SHARE * 100 + 1e-9
    assert weighted.error_callers == 1


def test_three_callers_flooding_errors_stay_under_a_5_percent_threshold() -> None:
    slots = honest(120) | {120: (500, 500), 121: (300, 300), 122: (900, 900)}
    assert weigh(slots, 0.015).rate_percent < 5.0


def test_a_flood_of_successes_cannot_drown_a_real_fault() -> None:
    faulty = honest(100, calls=10, errors=2)  # 20 % for everyone
    slots = faulty | {100: (100_000, 0)}
    assert weigh(slots, SHARE).rate_percent > 15.0


def test_with_too_few_callers_each_weighs_the_same() -> None:
    slots = {0: (1000, 1000), 1: (1, 0), 2: (1, 0), 3: (1, 0)}
    assert weigh(slots, SHARE).rate_percent == pytest.approx(25.0)


def test_nothing_is_zero() -> None:
    assert weigh({}, SHARE).rate_percent == 0.0
