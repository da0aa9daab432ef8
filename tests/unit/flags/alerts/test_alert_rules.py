"""The alert rules, as tables: which rule is breached, or cleared, in which situation; and
how long each waits before firing and keeps firing once clear."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from jewgo.flags.alerts.rules import (
    TIMINGS,
    FleetFigures,
    Rule,
    Signal,
    Thresholds,
    Timing,
    flag_signals,
    fleet_signals,
    parse_rules,
    severity,
    timings,
)
from jewgo.flags.rollouts.model import Health, Rollout, RolloutConfig, RolloutState
from jewgo.gateway.settings import load_settings

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
FLAG = "api_v4_restaurants"
CONFIG = RolloutConfig(
    auto_rollback_threshold_percent=10, min_requests=100, max_latency_ratio=1.5,
    max_shadow_mismatch_percent=1.0, min_error_callers=5,
)  # fmt: skip
ROLLOUT = Rollout(
    id=1, flag=FLAG, state=RolloutState.RUNNING, current_percentage=20.0, config=CONFIG,
    started_at=NOW - timedelta(hours=1), updated_at=NOW, next_step_at=NOW + timedelta(hours=1),
    last_decision="holding: next step at", started_by="user:1", version=3,
)  # fmt: skip
# 100 callers, each 10 calls: a rate of N errors per caller is N x 10 %.
CALLERS = tuple((slot, 10, 0) for slot in range(100))


def spread(errors_each: int) -> tuple[tuple[int, int, int], ...]:
    return tuple((slot, 10, errors_each) for slot in range(100))


HEALTHY = Health(
    window_seconds=60, v4_calls=1000, v4_errors=0, v4_p95_ms=40.0, v3_calls=1000,
    v3_p95_ms=40.0, shadow_comparisons=100, shadow_mismatches=0, v4_slots=CALLERS,
)  # fmt: skip
T = Thresholds()  # warning at 0.5 x 10 % = 5 %, hysteresis 20 %


def signal(rule: Rule, health: Health, rollout: Rollout | None = ROLLOUT) -> Signal:
    found = {s.rule: s for s in flag_signals(FLAG, health, rollout, NOW, T)}
    return found[rule]


@pytest.mark.parametrize(
    ("rule", "health", "breached", "cleared"),
    [
        (Rule.V4_ERROR_RATE_WARNING, HEALTHY, False, True),
        # 6 % is above the warning (5 %), below the rollback threshold (10 %).
        (Rule.V4_ERROR_RATE_WARNING, replace(HEALTHY, v4_errors=60, v4_slots=()), True, False),
        (Rule.V4_ERROR_RATE_CRITICAL, replace(HEALTHY, v4_errors=60, v4_slots=()), False, True),
        (Rule.V4_ERROR_RATE_CRITICAL, replace(HEALTHY, v4_errors=90, v4_slots=()), False, False),
        # 4.5 % is under the warning but within its hysteresis band (above 4 %): holds.
        (Rule.V4_ERROR_RATE_WARNING, replace(HEALTHY, v4_errors=45, v4_slots=()), False, False),
        (Rule.V4_ERROR_RATE_WARNING, replace(HEALTHY, v4_errors=39, v4_slots=()), False, True),
        (Rule.V4_ERROR_RATE_CRITICAL, replace(HEALTHY, v4_errors=200, v4_slots=spread(2)),
         True, False),
        # Weighted by caller: errors from 3 callers are fewer than minErrorCallers (5).
        (Rule.V4_ERROR_RATE_CRITICAL,
         replace(HEALTHY, v4_errors=30, v4_slots=((0, 10, 10), (1, 10, 10), (2, 10, 10))),
         False, True),
        # Thin traffic never fires, and lets a firing alert go.
        (Rule.V4_ERROR_RATE_CRITICAL, replace(HEALTHY, v4_calls=99, v4_errors=99, v4_slots=()),
         False, True),
        (Rule.V4_LATENCY_RATIO, replace(HEALTHY, v4_p95_ms=61.0), True, False),
        (Rule.V4_LATENCY_RATIO, replace(HEALTHY, v4_p95_ms=55.0), False, False),
        (Rule.V4_LATENCY_RATIO, replace(HEALTHY, v4_p95_ms=47.0), False, True),
        (Rule.V4_LATENCY_RATIO, replace(HEALTHY, v3_p95_ms=None, v4_p95_ms=500.0), False, True),
        (Rule.SHADOW_MISMATCH_RATE, replace(HEALTHY, shadow_mismatches=2), True, False),
        (Rule.SHADOW_MISMATCH_RATE, replace(HEALTHY, shadow_mismatches=1), False, False),
        (Rule.SHADOW_MISMATCH_RATE, HEALTHY, False, True),
        (Rule.SHADOW_MISMATCH_RATE,
         replace(HEALTHY, shadow_comparisons=19, shadow_mismatches=19), False, True),
        (Rule.SHADOW_CANDIDATE_ERRORS, replace(HEALTHY, shadow_candidate_errors=1), True, False),
        (Rule.SHADOW_CANDIDATE_ERRORS, HEALTHY, False, True),
    ],
)  # fmt: skip
def test_each_flag_rule_fires_above_its_threshold_and_clears_below_its_band(
    rule: Rule, health: Health, breached: bool, cleared: bool
) -> None:
    found = signal(rule, health)
    assert (found.breached, found.cleared) == (breached, cleared), found
    assert found.flag == FLAG


def test_thresholds_come_from_the_rollout_and_without_one_from_the_defaults() -> None:
    six = replace(HEALTHY, v4_errors=60, v4_slots=())
    assert signal(Rule.V4_ERROR_RATE_CRITICAL, six).threshold == 10.0
    # The default rollback threshold is 5 %: 6 % breaches it.
    assert signal(Rule.V4_ERROR_RATE_CRITICAL, six, rollout=None).breached
    assert signal(Rule.V4_ERROR_RATE_WARNING, six, rollout=None).threshold == 2.5
    custom = Thresholds(warning_fraction=0.8)
    found = list(flag_signals(FLAG, six, ROLLOUT, NOW, custom))
    assert next(s for s in found if s.rule is Rule.V4_ERROR_RATE_WARNING).threshold == 8.0


def test_a_signal_carries_the_figures_that_made_it() -> None:
    found = signal(Rule.V4_ERROR_RATE_WARNING, replace(HEALTHY, v4_errors=60, v4_slots=()))
    assert found.value == 6.0
    assert found.figures["v4Calls"] == 1000 and found.figures["v4Errors"] == 60
    assert "6.00%" in found.summary


@pytest.mark.parametrize(
    ("rollout", "rule", "breached"),
    [
        (replace(ROLLOUT, state=RolloutState.ROLLED_BACK, updated_at=NOW - timedelta(minutes=5)),
         Rule.AUTO_ROLLBACK, True),
        (replace(ROLLOUT, state=RolloutState.ROLLED_BACK, updated_at=NOW - timedelta(hours=2)),
         Rule.AUTO_ROLLBACK, False),
        (ROLLOUT, Rule.AUTO_ROLLBACK, False),
        (None, Rule.AUTO_ROLLBACK, False),
        # Due two hours ago and still not stepped: held longer than an hour.
        (replace(ROLLOUT, next_step_at=NOW - timedelta(hours=2)), Rule.ROLLOUT_HELD, True),
        (replace(ROLLOUT, next_step_at=NOW - timedelta(minutes=2)), Rule.ROLLOUT_HELD, False),
        (ROLLOUT, Rule.ROLLOUT_HELD, False),
        (replace(ROLLOUT, next_step_at=NOW - timedelta(hours=2), state=RolloutState.PAUSED),
         Rule.ROLLOUT_HELD, False),
        (replace(ROLLOUT, next_step_at=NOW - timedelta(hours=2),
                 config=replace(CONFIG, enable_auto_increment=False)), Rule.ROLLOUT_HELD, False),
    ],
)  # fmt: skip
def test_rollout_rules(rollout: Rollout | None, rule: Rule, breached: bool) -> None:
    found = signal(rule, HEALTHY, rollout)
    assert found.breached is breached and found.cleared is not breached


OK = {"cache": ("ok", None), "flags": ("ok", "revision 3"), "redis": ("ok", None)}


@pytest.mark.parametrize(
    ("components", "gap", "breached"),
    [
        (OK, 0.0, set()),
        (OK | {"cache": ("degraded", "memory fallback")}, 0.0, {Rule.CACHE_FALLBACK}),
        (OK | {"flags": ("stale", "confirmed 40 s ago")}, 0.0, {Rule.FLAG_SNAPSHOT_STALE}),
        (OK | {"redis": ("down", "TimeoutError")}, 0.0, {Rule.REDIS_UNREACHABLE}),
        (
            OK | {"callers": ("warning", "150 anonymous requests ... from 1 address(es)")},
            0.0,
            {Rule.UNDECLARED_PROXY},
        ),
        (OK | {"callers": ("ok", None)}, 0.0, set()),
        ({"cache": ("ok", None), "flags": ("ok", None)}, 0.0, set()),  # no Redis configured
        (OK, 29.0, set()),
        (OK, 31.0, {Rule.CONTROLLER_LEADERLESS}),
    ],
)
def test_fleet_rules(
    components: dict[str, tuple[str, str | None]], gap: float, breached: set[Rule]
) -> None:
    found = list(fleet_signals(FleetFigures(components, gap, "host:1"), T))
    assert {s.rule for s in found if s.breached} == breached
    assert all(s.flag == "" for s in found)
    assert {s.rule for s in found if not s.cleared} == breached


def test_rules_are_named_in_settings_and_unknown_ones_are_refused() -> None:
    assert parse_rules("all") == frozenset(Rule)
    assert parse_rules(" V4ErrorRateCritical, CacheFallback ") == {
        Rule.V4_ERROR_RATE_CRITICAL, Rule.CACHE_FALLBACK,
    }  # fmt: skip
    with pytest.raises(ValueError, match="unknown rule; known: all, V4ErrorRateWarning"):
        parse_rules("V4ErrorRateCritical,NoSuchRule")
    assert severity(Rule.V4_ERROR_RATE_CRITICAL) == "critical"
    assert severity(Rule.V4_ERROR_RATE_WARNING) == "warning"


DEFAULT_TIMINGS = [
    # Figures of a window: six ticks (5 s) in a row to fire, a clear minute to resolve.
    (Rule.V4_ERROR_RATE_WARNING, 30, 60),
    (Rule.V4_LATENCY_RATIO, 30, 60),
    (Rule.SHADOW_MISMATCH_RATE, 30, 60),
    (Rule.SHADOW_CANDIDATE_ERRORS, 30, 60),
    # Beside the controller's rollback, which does not wait: at once, kept a minute.
    (Rule.V4_ERROR_RATE_CRITICAL, 0, 60),
    # States the controller stored: at once, resolved when the state changes.
    (Rule.AUTO_ROLLBACK, 0, 0),
    (Rule.ROLLOUT_HELD, 0, 0),
    (Rule.ROLLOUT_AWAITING_JUDGEMENT, 0, 0),
    # The leader's readiness: three ticks in a row.
    (Rule.CACHE_FALLBACK, 15, 60),
    (Rule.FLAG_SNAPSHOT_STALE, 15, 60),
    (Rule.REDIS_UNREACHABLE, 15, 60),
    (Rule.UNDECLARED_PROXY, 15, 60),
    # A gap seen at one evaluation: a `for` would never be met.
    (Rule.CONTROLLER_LEADERLESS, 0, 60),
]


@pytest.mark.parametrize(("rule", "pending", "keep_firing"), DEFAULT_TIMINGS)
def test_each_rule_has_its_pending_and_keep_firing_durations(
    rule: Rule, pending: float, keep_firing: float
) -> None:
    assert TIMINGS[rule] == Timing(pending_seconds=pending, keep_firing_seconds=keep_firing)


def test_every_rule_is_in_the_table_of_timings() -> None:
    assert len(DEFAULT_TIMINGS) == len(Rule)
    assert {rule for rule, _, _ in DEFAULT_TIMINGS} == set(Rule) == set(TIMINGS)


def test_settings_replace_the_non_zero_durations_of_the_table() -> None:
    assert timings() == dict(TIMINGS)
    found = timings(pending=10, keep_firing=5)
    assert found[Rule.V4_LATENCY_RATIO] == Timing(10, 5)
    assert found[Rule.CACHE_FALLBACK] == Timing(10, 5)
    # A zero is a decision: what fires at once, or resolves at once, still does.
    assert found[Rule.V4_ERROR_RATE_CRITICAL] == Timing(0, 5)
    assert found[Rule.CONTROLLER_LEADERLESS] == Timing(0, 5)
    assert found[Rule.AUTO_ROLLBACK] == Timing(0, 0)
    assert timings(keep_firing=0)[Rule.V4_LATENCY_RATIO] == Timing(30, 0)
    assert load_settings().alert_timings == dict(TIMINGS)
    settings = load_settings(alert_pending_seconds=10, alert_keep_firing_seconds=5)
    assert settings.alert_timings == found
