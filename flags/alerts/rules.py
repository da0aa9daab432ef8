"""Alert rules (pure): what is wrong now, from the figures the controller's leader gathers.

Each rule turns one set of figures into a `Signal`: whether it is above its threshold
(`breached`), and whether it is far enough below for a firing alert to resolve
(`cleared`; the band between the two is hysteresis, so a value hovering at the threshold
neither fires nor resolves again and again). Per domain flag, over the rollout's window:

  V4ErrorRateWarning    v4 error rate > warning fraction x the rollback threshold
  V4ErrorRateCritical   v4 error rate > the rollback threshold
  V4LatencyRatio        v4 p95 / v3 p95 > maxLatencyRatio
  ShadowMismatchRate    shadow mismatches > maxShadowMismatchPercent of the comparisons
  ShadowCandidateErrors shadow candidate (v4) errors > ALERT_SHADOW_CANDIDATE_ERRORS
  AutoRollback          the controller rolled the flag's rollout back, recently
  RolloutHeld           a RUNNING rollout has not stepped for ALERT_ROLLOUT_HELD_SECONDS
  RolloutAwaitingJudgement  the controller paused the rollout for a person: at a pauseAt
                        gate, or inconclusive for maxInconclusiveWindows windows

For the fleet (flag ""): CacheFallback, FlagSnapshotStale, RedisUnreachable,
UndeclaredProxy (anonymous traffic from a few addresses carrying many client ids: a proxy
FORWARDED_ALLOW_IPS does not name; all as the leader's readiness sees them) and
ControllerLeaderless (nobody led for a while: the gap
between the leaders' heartbeats).

Each rule also has a `Timing` (TIMINGS), as Prometheus' `for` and `keep_firing_for`, in
seconds on the engine's clock: how long it must be breached at every evaluation before it
fires (`pending_seconds`), and how long a firing one must be cleared at every evaluation
before it resolves (`keep_firing_seconds`); flags.alerts.lifecycle applies them. A figure
sampled from a window (rates, p95s, readiness) waits; a state the controller stored, or
an event seen once, does not. ALERT_PENDING_SECONDS and ALERT_KEEP_FIRING_SECONDS replace
every non-zero duration of the table (`timings`): a zero there is a decision, not a default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from jewgo.flags.rollouts.model import DEFAULT_CONFIG, Health, Rollout, RolloutConfig, RolloutState


class Rule(StrEnum):
    V4_ERROR_RATE_WARNING = "V4ErrorRateWarning"
    V4_ERROR_RATE_CRITICAL = "V4ErrorRateCritical"
    V4_LATENCY_RATIO = "V4LatencyRatio"
    SHADOW_MISMATCH_RATE = "ShadowMismatchRate"
    SHADOW_CANDIDATE_ERRORS = "ShadowCandidateErrors"
    AUTO_ROLLBACK = "AutoRollback"
    ROLLOUT_HELD = "RolloutHeld"
    ROLLOUT_AWAITING_JUDGEMENT = "RolloutAwaitingJudgement"
    CACHE_FALLBACK = "CacheFallback"
    FLAG_SNAPSHOT_STALE = "FlagSnapshotStale"
    REDIS_UNREACHABLE = "RedisUnreachable"
    UNDECLARED_PROXY = "UndeclaredProxy"
    CONTROLLER_LEADERLESS = "ControllerLeaderless"


CRITICAL = frozenset({Rule.V4_ERROR_RATE_CRITICAL, Rule.AUTO_ROLLBACK, Rule.CONTROLLER_LEADERLESS})


def severity(rule: Rule) -> str:
    return "critical" if rule in CRITICAL else "warning"


@dataclass(frozen=True, slots=True)
class Timing:
    """`for` and `keep_firing_for` of one rule, in seconds."""

    pending_seconds: float = 0.0
    keep_firing_seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.pending_seconds < 0 or self.keep_firing_seconds < 0:
            raise ValueError("a rule's pending and keep-firing durations are never negative")

    def overridden(self, pending: float | None, keep_firing: float | None) -> Timing:
        """The settings' durations in place of this rule's non-zero ones."""
        return Timing(
            _setting_or(self.pending_seconds, pending),
            _setting_or(self.keep_firing_seconds, keep_firing),
        )


def _setting_or(own: float, setting: float | None) -> float:
    return own if setting is None or own == 0 else setting


# A figure of a window moves with every tick (5 s by default): it must hold for six ticks
# to fire, and a firing one resolves after a clear minute, so a p95 or a rate that hovers
# about its threshold is one episode, not one per tick.
_FIGURE = Timing(pending_seconds=30.0, keep_firing_seconds=60.0)
# The leader's readiness: one slow call to Redis is not an outage; three ticks in a row are.
_READINESS = Timing(pending_seconds=15.0, keep_firing_seconds=60.0)
# A state the controller stored (rolled back, held, paused for a person) does not flap and
# already took its time: it fires at once, and resolves as soon as the state changes.
_STATE = Timing()

TIMINGS: Mapping[Rule, Timing] = {
    Rule.V4_ERROR_RATE_WARNING: _FIGURE,
    # Fires at once: the controller rolls a rollout back at the first evaluation above this
    # threshold (and with auto-rollback off, this alert is all that reacts). Waiting would
    # tell people after the fact; minRequests and minErrorCallers already keep thin or
    # one-caller noise out. It keeps firing for a minute so a rate at the edge stays one.
    Rule.V4_ERROR_RATE_CRITICAL: Timing(pending_seconds=0.0, keep_firing_seconds=60.0),
    Rule.V4_LATENCY_RATIO: _FIGURE,
    Rule.SHADOW_MISMATCH_RATE: _FIGURE,
    Rule.SHADOW_CANDIDATE_ERRORS: _FIGURE,
    Rule.AUTO_ROLLBACK: _STATE,
    Rule.ROLLOUT_HELD: _STATE,  # held > ALERT_ROLLOUT_HELD_SECONDS is its own wait
    Rule.ROLLOUT_AWAITING_JUDGEMENT: _STATE,
    Rule.CACHE_FALLBACK: _READINESS,
    Rule.FLAG_SNAPSHOT_STALE: _READINESS,
    Rule.REDIS_UNREACHABLE: _READINESS,
    Rule.UNDECLARED_PROXY: _READINESS,
    # The gap is seen at one evaluation only (the next heartbeat is on time again), so any
    # `for` would never be met; it keeps firing a minute so a leadership that bounces is one.
    Rule.CONTROLLER_LEADERLESS: Timing(pending_seconds=0.0, keep_firing_seconds=60.0),
}


def timings(pending: float | None = None, keep_firing: float | None = None) -> dict[Rule, Timing]:
    """Every rule's timing: TIMINGS, with the settings' durations (None: the rule's own)."""
    return {rule: TIMINGS[rule].overridden(pending, keep_firing) for rule in Rule}


def parse_rules(text: str) -> frozenset[Rule]:
    """ALERT_RULES: `all`, or rule names separated by commas; ValueError listing the
    known ones (not the value given: a setting's value is never echoed)."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if names == ["all"]:
        return frozenset(Rule)
    known = {rule.value: rule for rule in Rule}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"names an unknown rule; known: all, {', '.join(known)}")
    return frozenset(known[name] for name in names)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """What comes from settings; the rest comes from each rollout's config."""

    warning_fraction: float = 0.5
    hysteresis_percent: float = 20.0
    shadow_candidate_errors: int = 0
    min_shadow_comparisons: int = 20
    rollback_seconds: float = 3600.0
    rollout_held_seconds: float = 3600.0
    leaderless_seconds: float = 30.0

    def clears(self, value: float, threshold: float) -> bool:
        return value <= threshold * (1 - self.hysteresis_percent / 100)


@dataclass(frozen=True, slots=True)
class Signal:
    rule: Rule
    flag: str
    breached: bool
    cleared: bool
    value: float
    threshold: float
    summary: str
    figures: Mapping[str, Any] = field(default_factory=dict)


def _numeric(
    rule: Rule,
    flag: str,
    value: float,
    threshold: float,
    enough: bool,
    t: Thresholds,
    summary: str,
    figures: Mapping[str, Any],
) -> Signal:
    # Too few calls to judge: never fires, and (no evidence of a fault) lets a firing one go.
    return Signal(
        rule,
        flag,
        breached=enough and value > threshold,
        cleared=not enough or t.clears(value, threshold),
        value=round(value, 4),
        threshold=threshold,
        summary=summary,
        figures=figures,
    )


def error_rate(health: Health, config: RolloutConfig) -> tuple[float, bool]:
    """v4's error rate as the guard weighs it, and whether it may be judged at all."""
    weighted = health.weighted(config.max_caller_share_percent)
    rate = weighted.rate_percent if weighted is not None else health.v4_error_rate
    enough = health.v4_calls >= max(config.min_requests, 1) and (
        weighted is None or weighted.error_callers >= config.min_error_callers
    )
    return rate, enough


def flag_signals(
    flag: str,
    health: Health,
    rollout: Rollout | None,
    now: datetime,
    t: Thresholds,
) -> list[Signal]:
    """Every per-flag rule for one domain flag."""
    config = rollout.config if rollout is not None else DEFAULT_CONFIG
    figures = health.figures(config.max_caller_share_percent)
    rate, enough = error_rate(health, config)
    critical = config.auto_rollback_threshold_percent
    warning = critical * t.warning_fraction
    said = f"{flag}: v4 error rate {rate:.2f}% over {health.window_seconds} s"
    signals = [
        _numeric(Rule.V4_ERROR_RATE_WARNING, flag, rate, warning, enough, t,
                 f"{said} (warning above {warning:g}%)", figures),
        _numeric(Rule.V4_ERROR_RATE_CRITICAL, flag, rate, critical, enough, t,
                 f"{said} (rollback threshold {critical:g}%)", figures),
    ]  # fmt: skip
    latency = (
        health.v4_p95_ms / health.v3_p95_ms
        if health.v4_p95_ms is not None and health.v3_p95_ms
        else 0.0
    )
    signals.append(
        _numeric(
            Rule.V4_LATENCY_RATIO, flag, latency, config.max_latency_ratio,
            latency > 0 and health.v4_calls >= max(config.min_requests, 1), t,
            f"{flag}: v4 p95 is {latency:.2f} x v3's (limit {config.max_latency_ratio:g})",
            figures,
        )
    )  # fmt: skip
    signals.append(
        _numeric(
            Rule.SHADOW_MISMATCH_RATE, flag, health.shadow_mismatch_rate,
            config.max_shadow_mismatch_percent,
            health.shadow_comparisons >= t.min_shadow_comparisons, t,
            f"{flag}: {health.shadow_mismatches} of {health.shadow_comparisons} shadow "
            f"comparisons differ (limit {config.max_shadow_mismatch_percent:g}%)",
            figures,
        )
    )  # fmt: skip
    candidate = float(health.shadow_candidate_errors)
    signals.append(
        Signal(
            Rule.SHADOW_CANDIDATE_ERRORS, flag,
            breached=candidate > t.shadow_candidate_errors,
            cleared=candidate <= t.shadow_candidate_errors,
            value=candidate, threshold=float(t.shadow_candidate_errors),
            summary=f"{flag}: {int(candidate)} shadow candidate errors in "
            f"{health.window_seconds} s (limit {t.shadow_candidate_errors})",
            figures=figures,
        )
    )  # fmt: skip
    signals.extend(rollout_signals(flag, rollout, now, t))
    return signals


def rollout_signals(
    flag: str, rollout: Rollout | None, now: datetime, t: Thresholds
) -> list[Signal]:
    """AutoRollback and RolloutHeld, from the flag's newest rollout."""
    rolled_back = 0.0
    if rollout is not None and rollout.state is RolloutState.ROLLED_BACK:
        rolled_back = (now - rollout.updated_at).total_seconds()
    recent = (
        rollout is not None
        and rolled_back <= t.rollback_seconds
        and (rollout.state is RolloutState.ROLLED_BACK)
    )
    held = 0.0
    if (
        rollout is not None
        and rollout.state is RolloutState.RUNNING
        and rollout.config.enable_auto_increment
        and rollout.current_percentage < rollout.config.max_percentage
    ):
        since = rollout.next_step_at or rollout.started_at
        held = max(0.0, (now - since).total_seconds())
    decision = rollout.last_decision if rollout is not None else None
    details = {"lastDecision": decision} if decision else {}
    waiting = (
        rollout is not None
        and rollout.state is RolloutState.PAUSED
        and (decision or "").startswith(("paused at the gate", "paused (inconclusive"))
    )
    return [
        Signal(
            Rule.ROLLOUT_AWAITING_JUDGEMENT, flag, breached=waiting, cleared=not waiting,
            value=float(waiting), threshold=1.0,
            summary=f"{flag}: the rollout waits for a person: {decision or ''}",
            figures=details,
        ),
        Signal(
            Rule.AUTO_ROLLBACK, flag, breached=recent, cleared=not recent,
            value=1.0 if recent else 0.0, threshold=t.rollback_seconds,
            summary=f"{flag}: the controller rolled the rollout back: {decision or ''}",
            figures=details,
        ),
        Signal(
            Rule.ROLLOUT_HELD, flag, breached=held > t.rollout_held_seconds,
            cleared=held <= t.rollout_held_seconds, value=round(held, 1),
            threshold=t.rollout_held_seconds,
            summary=f"{flag}: the rollout has held for {held:.0f} s "
            f"(limit {t.rollout_held_seconds:g} s): {decision or ''}",
            figures=details,
        ),
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class FleetFigures:
    """The leader's readiness (component name -> status, detail) and the heartbeat gap."""

    components: Mapping[str, tuple[str, str | None]]
    leaderless_seconds: float = 0.0
    previous_leader: str | None = None


_COMPONENT_RULES = (
    (Rule.CACHE_FALLBACK, "cache", "degraded", "the cache is on its in-memory fallback"),
    (Rule.FLAG_SNAPSHOT_STALE, "flags", "stale", "the flag snapshot is stale"),
    (Rule.REDIS_UNREACHABLE, "redis", "down", "Redis is unreachable"),
    (
        Rule.UNDECLARED_PROXY,
        "callers",
        "warning",
        "requests look forwarded by a proxy FORWARDED_ALLOW_IPS does not name",
    ),
)


def fleet_signals(fleet: FleetFigures, t: Thresholds) -> Iterable[Signal]:
    for rule, component, bad, words in _COMPONENT_RULES:
        status, detail = fleet.components.get(component, ("absent", None))
        breached = status == bad
        yield Signal(
            rule, "", breached=breached, cleared=not breached, value=float(breached),
            threshold=1.0, summary=f"{words} ({detail})" if detail else words,
            figures={"component": component, "status": status, "detail": detail},
        )  # fmt: skip
    gap = fleet.leaderless_seconds
    yield Signal(
        Rule.CONTROLLER_LEADERLESS, "", breached=gap > t.leaderless_seconds,
        cleared=gap <= t.leaderless_seconds, value=round(gap, 1),
        threshold=t.leaderless_seconds,
        summary=f"no instance led the rollout controller for {gap:.0f} s "
        f"(before: {fleet.previous_leader or 'nobody'})",
        figures={"gapSeconds": round(gap, 1), "previousLeader": fleet.previous_leader},
    )  # fmt: skip
