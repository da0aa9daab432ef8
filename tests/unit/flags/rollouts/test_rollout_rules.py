"""The controller's rules, as a table: one verdict per situation."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from jewgo.flags.rollouts.model import (
    Action,
    Health,
    Rollout,
    RolloutConfig,
    RolloutState,
    Verdict,
    after,
    evaluate,
)
from jewgo.flags.snapshot import FlagState
from jewgo.flags.stages import Stage

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CONFIG = RolloutConfig(
    initial_percentage=20, increment_percentage=40, increment_interval_seconds=60,
    monitoring_period_seconds=30, auto_rollback_threshold_percent=5, min_requests=100,
)  # fmt: skip
ROLLOUT = Rollout(
    id=1, flag="api_v4_reviews", state=RolloutState.RUNNING, current_percentage=20.0,
    config=CONFIG, started_at=NOW - timedelta(minutes=5), updated_at=NOW,
    next_step_at=NOW - timedelta(seconds=1), last_decision=None, started_by="user:1", version=3,
)  # fmt: skip
FLAG = FlagState("api_v4_reviews", "d", Stage.PARTIAL, 20.0, 7, NOW, "rollout-controller")
HEALTHY = Health(
    window_seconds=30, v4_calls=500, v4_errors=2, v4_p95_ms=40.0, v3_calls=2000, v3_errors=1,
    v3_p95_ms=35.0, shadow_comparisons=200, shadow_mismatches=0,
)  # fmt: skip


# (slot, calls, errors): 200 healthy callers, plus 3 failing everything they send.
HEALTHY_CALLERS = tuple((slot % 128, 2, 0) for slot in range(100))
FLOOD_OF_THREE = (*HEALTHY_CALLERS[3:], (0, 100, 100), (1, 100, 100), (2, 100, 100))
# Errors above 5 % (weighted) but from 3 callers only: fewer than minErrorCallers (5).
CONCENTRATED = ((0, 50, 50), (1, 50, 50), (2, 50, 50), (3, 50, 0), (4, 50, 0))
SPREAD = tuple((slot, 5, 1) for slot in range(100))  # 20 % for everyone
PROXY = "500 anonymous requests came from 1 address(es): set FORWARDED_ALLOW_IPS to its address"


@pytest.mark.parametrize(
    ("rollout", "flag", "health", "action", "words"),
    [
        (ROLLOUT, replace(FLAG, stage=Stage.FULL), HEALTHY, Action.STOP, "changed by hand"),
        (ROLLOUT, replace(FLAG, percentage=35.0), HEALTHY, Action.STOP, "changed by hand"),
        (ROLLOUT, FLAG, replace(HEALTHY, v4_errors=30), Action.ROLL_BACK, "error rate 6.00%"),
        (replace(ROLLOUT, next_step_at=NOW + timedelta(minutes=1)), FLAG,
         replace(HEALTHY, v4_errors=30), Action.ROLL_BACK, "above 5%"),
        (ROLLOUT, FLAG, replace(HEALTHY, v4_calls=99, v4_errors=50), Action.HOLD, "thin traffic"),
        (replace(ROLLOUT, config=replace(CONFIG, enable_auto_rollback=False)), FLAG,
         replace(HEALTHY, v4_errors=100), Action.ADVANCE, "advanced to 60%"),
        (replace(ROLLOUT, next_step_at=NOW + timedelta(minutes=1)), FLAG, HEALTHY, Action.HOLD,
         "next step at"),
        (replace(ROLLOUT, config=replace(CONFIG, enable_auto_increment=False)), FLAG, HEALTHY,
         Action.HOLD, "auto-increment is off"),
        (ROLLOUT, FLAG, replace(HEALTHY, v4_p95_ms=60.0), Action.HOLD, "latency guard"),
        (ROLLOUT, FLAG, replace(HEALTHY, v4_p95_ms=52.0), Action.ADVANCE, "advanced"),
        (ROLLOUT, FLAG, replace(HEALTHY, v3_p95_ms=None, v4_p95_ms=900.0), Action.ADVANCE,
         "advanced"),
        (ROLLOUT, FLAG, replace(HEALTHY, shadow_mismatches=1), Action.HOLD, "shadow guard"),
        (ROLLOUT, FLAG, HEALTHY, Action.ADVANCE, "advanced to 60%"),
        (replace(ROLLOUT, current_percentage=60.0), replace(FLAG, percentage=60.0), HEALTHY,
         Action.COMPLETE, "completed"),
        (replace(ROLLOUT, current_percentage=20.0, config=replace(CONFIG, max_percentage=50)),
         FLAG, HEALTHY, Action.ADVANCE, "advanced to 50%"),
        (replace(ROLLOUT, current_percentage=50.0, config=replace(CONFIG, max_percentage=50)),
         replace(FLAG, percentage=50.0), HEALTHY, Action.HOLD, "maximum of 50%"),
        # Weighed by caller: three callers flooding errors neither roll back ...
        (ROLLOUT, FLAG, replace(HEALTHY, v4_errors=300, v4_slots=FLOOD_OF_THREE),
         Action.ADVANCE, "advanced to 60%"),
        # ... nor do errors above the threshold from fewer callers than the rule asks for,
        (ROLLOUT, FLAG, replace(HEALTHY, v4_errors=300, v4_slots=CONCENTRATED), Action.HOLD,
         "errors from only 3 callers"),
        # ... while a fault spread over many callers does,
        (ROLLOUT, FLAG, replace(HEALTHY, v4_errors=100, v4_slots=SPREAD), Action.ROLL_BACK,
         "from 100 callers"),
        # Advancing needs its calls from enough callers (users, else addresses): one
        # address's 500 calls under invented client ids are one caller, and so thin traffic,
        (ROLLOUT, FLAG, replace(HEALTHY, v4_slots=((7, 500, 0),)), Action.HOLD,
         "v4 calls from 1 of 5 distinct callers"),
        (ROLLOUT, FLAG, replace(HEALTHY, v4_slots=tuple((i, 100, 0) for i in range(4))),
         Action.HOLD, "from 4 of 5 distinct callers"),
        (ROLLOUT, FLAG, replace(HEALTHY, v4_slots=tuple((i, 100, 0) for i in range(5))),
         Action.ADVANCE, "advanced to 60%"),
        (ROLLOUT, FLAG, replace(HEALTHY, v4_slots=HEALTHY_CALLERS), Action.ADVANCE, "advanced"),
        # Behind a proxy FORWARDED_ALLOW_IPS does not name, both caller holds say so.
        (ROLLOUT, FLAG, replace(HEALTHY, v4_slots=((7, 500, 0),), proxy_warning=PROXY),
         Action.HOLD, "set FORWARDED_ALLOW_IPS"),
        (ROLLOUT, FLAG, replace(HEALTHY, v4_errors=300, v4_slots=CONCENTRATED,
                                proxy_warning=PROXY), Action.HOLD, "set FORWARDED_ALLOW_IPS"),
        # ... and a flood of successes cannot drown it.
        (ROLLOUT, FLAG, replace(HEALTHY, v4_calls=100_500, v4_errors=100,
                                v4_slots=(*SPREAD, (100, 100_000, 0))),
         Action.ROLL_BACK, "above 5%"),
    ],
)  # fmt: skip
def test_rules(
    rollout: Rollout, flag: FlagState, health: Health, action: Action, words: str
) -> None:
    verdict = evaluate(rollout, flag, health, NOW)
    assert verdict.action is action
    assert words in verdict.reason


def test_what_a_verdict_does_to_the_rollout() -> None:
    advanced = after(ROLLOUT, Verdict(Action.ADVANCE, "advanced", 60.0), NOW)
    assert (advanced.state, advanced.current_percentage) == (RolloutState.RUNNING, 60.0)
    assert advanced.next_step_at == NOW + timedelta(seconds=60)
    completed = after(ROLLOUT, Verdict(Action.COMPLETE, "done", 100.0), NOW)
    assert (completed.state, completed.current_percentage, completed.next_step_at) == (
        RolloutState.COMPLETED,
        100.0,
        None,
    )
    rolled = after(ROLLOUT, Verdict(Action.ROLL_BACK, "bad"), NOW)
    assert (rolled.state, rolled.current_percentage) == (RolloutState.ROLLED_BACK, 0.0)
    held = after(ROLLOUT, Verdict(Action.HOLD, "thin"), NOW)
    assert (held.state, held.last_decision) == (RolloutState.RUNNING, "thin")


@pytest.mark.parametrize(
    ("config", "fields"),
    [
        (RolloutConfig(initial_percentage=120), {"initialPercentage"}),
        (RolloutConfig(initial_percentage=60, max_percentage=50), {"initialPercentage"}),
        (RolloutConfig(increment_percentage=0), {"incrementPercentage"}),
        (RolloutConfig(monitoring_period_seconds=0), {"monitoringPeriodSeconds"}),
        (RolloutConfig(min_requests=-1, max_latency_ratio=0.5), {"minRequests", "maxLatencyRatio"}),
        (RolloutConfig(), set()),
    ],
)
def test_configs_are_checked(config: RolloutConfig, fields: set[str]) -> None:
    assert set(config.problems()) == fields


def test_a_config_round_trips_through_json() -> None:
    assert RolloutConfig.from_json(CONFIG.to_json()) == CONFIG
