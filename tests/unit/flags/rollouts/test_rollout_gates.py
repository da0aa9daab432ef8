"""Human gates: a rollout pauses at its pauseAt percentages, and pauses when its guards
stay inconclusive (thin traffic, no v3 baseline) for maxInconclusiveWindows windows."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from jewgo.flags.alerts.rules import Rule, Thresholds, rollout_signals
from jewgo.flags.rollouts.model import Action, RolloutConfig, RolloutState, after, evaluate
from jewgo.flags.rules import Move, moved
from tests.unit.flags.rollouts.test_rollout_rules import FLAG, HEALTHY, NOW, ROLLOUT

GATED = replace(ROLLOUT, config=replace(ROLLOUT.config, pause_at=(50.0,)))  # 20 % +40


def test_a_step_over_a_gate_stops_at_it_paused_and_resumed_goes_on() -> None:
    verdict = evaluate(GATED, FLAG, HEALTHY, NOW)
    assert (verdict.action, verdict.percentage) == (Action.GATE, 50.0)
    assert verdict.reason.startswith("paused at the gate of 50%: waiting for a person")
    gated = after(GATED, verdict, NOW)
    assert (gated.state, gated.current_percentage) == (RolloutState.PAUSED, 50.0)
    resumed = moved(gated, Move.RESUME, actor="user:1", now=NOW)
    assert resumed.state is RolloutState.RUNNING
    later = NOW + timedelta(seconds=61)
    flag = replace(FLAG, percentage=50.0)
    going_on = evaluate(resumed, flag, HEALTHY, later)
    assert (going_on.action, going_on.percentage) == (Action.ADVANCE, 90.0)


def test_a_rollout_starting_past_a_gate_and_the_gates_config() -> None:
    past = replace(GATED, current_percentage=60.0)
    assert evaluate(past, replace(FLAG, percentage=60.0), HEALTHY, NOW).action is Action.COMPLETE
    assert set(RolloutConfig(pause_at=(0.0,)).problems()) == {"pauseAt"}
    assert set(RolloutConfig(pause_at=(100.0,)).problems()) == {"pauseAt"}
    assert set(RolloutConfig(pause_at=tuple(float(n) for n in range(1, 12))).problems()) == {
        "pauseAt"
    }
    assert RolloutConfig(pause_at=(25.0, 50.0)).problems() == {}
    assert set(RolloutConfig(max_inconclusive_windows=-1).problems()) == {"maxInconclusiveWindows"}
    config = RolloutConfig(pause_at=(25.0, 50.0))
    assert RolloutConfig.from_json(config.to_json()) == config


THIN = replace(HEALTHY, v4_calls=10)
NO_V3 = replace(HEALTHY, v3_calls=0, v3_p95_ms=None)
PERIOD = ROLLOUT.config.monitoring_period_seconds  # 30 s


@pytest.mark.parametrize(("health", "words"), [(THIN, "thin traffic"), (NO_V3, "no v3 call")])
def test_inconclusive_guards_hold_then_pause_after_the_windows(health: object, words: str) -> None:
    config = replace(ROLLOUT.config, require_v3_baseline=True, max_inconclusive_windows=3)
    rollout, now = replace(ROLLOUT, config=config), NOW
    for _ in range(3):  # 0, 30 and 60 s into the stretch: holding
        verdict = evaluate(rollout, FLAG, health, now)  # type: ignore[arg-type]
        assert (verdict.action, verdict.inconclusive) == (Action.HOLD, True), verdict
        assert words in verdict.reason
        rollout = after(rollout, verdict, now)
        assert rollout.inconclusive_since == NOW
        now += timedelta(seconds=PERIOD)
    verdict = evaluate(rollout, FLAG, health, now)  # type: ignore[arg-type]
    assert verdict.action is Action.PAUSE
    assert verdict.reason.startswith("paused (inconclusive for 3 windows of 30 s)")
    assert words in verdict.reason and "resumeRollout goes on" in verdict.reason
    paused = after(rollout, verdict, now)
    assert (paused.state, paused.inconclusive_since) == (RolloutState.PAUSED, None)
    waiting = {s.rule: s for s in rollout_signals(FLAG.name, paused, now, Thresholds())}
    assert waiting[Rule.ROLLOUT_AWAITING_JUDGEMENT].breached
    resumed = moved(paused, Move.RESUME, actor="user:1", now=now)
    assert resumed.inconclusive_since is None


def test_a_conclusive_window_ends_the_stretch_and_zero_windows_hold_forever() -> None:
    counting = replace(ROLLOUT, config=replace(ROLLOUT.config, max_inconclusive_windows=3))
    held = after(counting, evaluate(counting, FLAG, THIN, NOW), NOW)
    assert held.inconclusive_since == NOW
    judged = after(held, evaluate(held, FLAG, replace(HEALTHY, v4_p95_ms=60.0), NOW), NOW)
    assert judged.inconclusive_since is None  # the latency guard held: a judgement
    forever = replace(ROLLOUT, config=replace(ROLLOUT.config, max_inconclusive_windows=0),
                      inconclusive_since=NOW - timedelta(days=30))  # fmt: skip
    assert evaluate(forever, FLAG, THIN, NOW).action is Action.HOLD
    # Without requireV3Baseline, no v3 call leaves the latency unguarded, as it was.
    assert evaluate(ROLLOUT, FLAG, NO_V3, NOW).action is Action.ADVANCE
