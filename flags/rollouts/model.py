"""Gradual rollouts: their configuration and state, and the controller's rules (pure).

Every evaluation of a RUNNING rollout ends in one verdict, first rule that applies:
1. its flag is no longer PARTIAL at the rollout's percentage   → STOP (changed by hand)
2. auto-rollback on, v4 calls ≥ minRequests, v4 error rate above the threshold
                                                               → ROLL_BACK (figures kept)
3. auto-increment off, at the maximum, or the step not yet due → HOLD
4. fewer v4 calls than minRequests in the window, or (requireV3Baseline) no v3 call to
   compare with → HOLD (inconclusive); so for maxInconclusiveWindows windows → PAUSE
5. v4's p95 above maxLatencyRatio x v3's p95, same window      → HOLD (latency guard)
6. shadow mismatch rate above maxShadowMismatchPercent          → HOLD (shadow guard)
7. otherwise: percentage + increment (capped by the maximum); a pauseAt percentage on the
   way → GATE (stepped to it and PAUSED for a person); at 100 → COMPLETE, else ADVANCE.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

# The config lives in its own module; its names stay importable from here.
from jewgo.flags.rollouts.config import DEFAULT_CONFIG as DEFAULT_CONFIG
from jewgo.flags.rollouts.config import RolloutConfig as RolloutConfig
from jewgo.flags.snapshot import FlagState
from jewgo.flags.stages import Stage
from jewgo.flags.telemetry.weighting import Weighted, weigh


class RolloutState(StrEnum):
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    COMPLETED = "COMPLETED"
    ROLLED_BACK = "ROLLED_BACK"
    STOPPED = "STOPPED"


ACTIVE = (RolloutState.RUNNING, RolloutState.PAUSED)


@dataclass(frozen=True, slots=True)
class Rollout:
    id: int
    flag: str
    state: RolloutState
    current_percentage: float
    config: RolloutConfig
    started_at: datetime
    updated_at: datetime
    next_step_at: datetime | None
    last_decision: str | None
    started_by: str
    version: int
    # Since when the guards have been inconclusive without a break (None: they judged).
    inconclusive_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class Health:
    """The window the controller judges by: v4 against the v3 cohort, and the shadow."""

    window_seconds: int
    v4_calls: int = 0
    v4_errors: int = 0
    v4_p95_ms: float | None = None
    v3_calls: int = 0
    v3_errors: int = 0
    v3_p95_ms: float | None = None
    shadow_comparisons: int = 0
    shadow_mismatches: int = 0
    # v4's calls and errors per caller slot (flags.telemetry.weighting), for the weighted rate.
    v4_slots: tuple[tuple[int, int, int], ...] = ()
    # v4 errors that v3 gave too for the same operation: not v4's regression, not counted.
    v4_shared_errors: int = 0
    shadow_candidate_errors: int = 0  # the shadow's v4 runs that failed
    # v4's answers from the response cache: served, not executed, so outside the rates.
    v4_cached: int = 0
    # Why the traffic looks forwarded by a proxy FORWARDED_ALLOW_IPS does not name, if it
    # does: then every anonymous caller is one address, and the caller guards starve.
    proxy_warning: str | None = None

    def with_proxy_warning(self, reason: str) -> str:
        return f"{reason}; {self.proxy_warning}" if self.proxy_warning else reason

    @property
    def v4_error_rate(self) -> float:
        return self.v4_errors / self.v4_calls * 100 if self.v4_calls else 0.0

    def weighted(self, share_percent: float) -> Weighted | None:
        """v4's error rate with no caller weighing more than `share_percent` of it; None
        when the window knows no callers (then the raw rate is all there is)."""
        if not self.v4_slots:
            return None
        slots = {index: (calls, errors) for index, calls, errors in self.v4_slots}
        return weigh(slots, share_percent / 100)

    @property
    def shadow_mismatch_rate(self) -> float:
        return (
            self.shadow_mismatches / self.shadow_comparisons * 100
            if self.shadow_comparisons
            else 0.0
        )

    def figures(self, share_percent: float | None = None) -> dict[str, Any]:
        """For the audit log."""
        weighted = self.weighted(share_percent) if share_percent is not None else None
        callers: dict[str, Any] = {}
        if weighted is not None:
            callers = {
                "v4WeightedErrorRatePercent": round(weighted.rate_percent, 3),
                "v4Callers": weighted.callers,
                "v4ErrorCallers": weighted.error_callers,
            }
        return callers | {
            "windowSeconds": self.window_seconds,
            "v4Calls": self.v4_calls,
            "v4Errors": self.v4_errors,
            "v4ErrorRatePercent": round(self.v4_error_rate, 3),
            "v4P95Ms": self.v4_p95_ms,
            "v3Calls": self.v3_calls,
            "v3Errors": self.v3_errors,
            "v3P95Ms": self.v3_p95_ms,
            "shadowComparisons": self.shadow_comparisons,
            "shadowMismatches": self.shadow_mismatches,
            "v4SharedErrors": self.v4_shared_errors,
            "v4Cached": self.v4_cached,
        }

    def summary(self) -> str:
        return (
            f"v4 {self.v4_errors}/{self.v4_calls} errors ({self.v4_error_rate:.2f}%), "
            f"v3 {self.v3_errors}/{self.v3_calls}, over {self.window_seconds} s"
        )


class Action(StrEnum):
    HOLD = "HOLD"
    ADVANCE = "ADVANCE"
    COMPLETE = "COMPLETE"
    ROLL_BACK = "ROLL_BACK"
    STOP = "STOP"
    GATE = "GATE"  # stepped to a pauseAt percentage: paused there for a person
    PAUSE = "PAUSE"  # inconclusive for too long: paused for a person


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Action
    reason: str
    percentage: float | None = None
    inconclusive: bool = False  # a hold for want of figures, not for bad ones


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} ms"


def evaluate(rollout: Rollout, flag: FlagState, health: Health, now: datetime) -> Verdict:
    config = rollout.config
    if flag.stage is not Stage.PARTIAL or flag.percentage != rollout.current_percentage:
        return Verdict(
            Action.STOP,
            f"stopped: {flag.name} was changed by hand "
            f"(now {flag.stage.value} at {flag.percentage:g}%, by {flag.updated_by})",
        )
    weighted = health.weighted(config.max_caller_share_percent)
    rate = weighted.rate_percent if weighted is not None else health.v4_error_rate
    failing = (
        config.enable_auto_rollback
        and health.v4_calls >= config.min_requests
        and health.v4_calls > 0
        and rate > config.auto_rollback_threshold_percent
    )
    if failing and (weighted is None or weighted.error_callers >= config.min_error_callers):
        callers = f", from {weighted.error_callers} callers" if weighted is not None else ""
        return Verdict(
            Action.ROLL_BACK,
            f"rolled back: v4 error rate {rate:.2f}% above "
            f"{config.auto_rollback_threshold_percent:g}%{callers} ({health.summary()})",
        )
    if failing and weighted is not None:  # above the threshold, but from too few callers
        return Verdict(
            Action.HOLD,
            health.with_proxy_warning(
                f"holding: v4 errors from only {weighted.error_callers} callers "
                f"({config.min_error_callers} needed to roll back) ({health.summary()})"
            ),
        )
    if not config.enable_auto_increment:
        return Verdict(Action.HOLD, f"holding: auto-increment is off ({health.summary()})")
    if rollout.current_percentage >= config.max_percentage:
        return Verdict(
            Action.HOLD,
            f"holding at the maximum of {config.max_percentage:g}% ({health.summary()})",
        )
    if rollout.next_step_at is not None and now < rollout.next_step_at:
        return Verdict(
            Action.HOLD,
            f"holding: next step at {rollout.next_step_at.isoformat(timespec='seconds')} "
            f"({health.summary()})",
        )
    if health.v4_calls < config.min_requests:
        return _inconclusive(
            rollout, now, f"holding: thin traffic, {health.v4_calls} of {config.min_requests} "
            f"v4 calls needed in the last {health.window_seconds} s",
        )  # fmt: skip
    # The calls must come from enough callers as the rollback guard counts them (a signed-in
    # user, else an address): requests and client ids are one caller's to multiply.
    if weighted is not None and weighted.callers < config.min_error_callers:
        return _inconclusive(
            rollout, now, health.with_proxy_warning(
                f"holding: thin traffic, v4 calls from {weighted.callers} of "
                f"{config.min_error_callers} distinct callers needed in the last "
                f"{health.window_seconds} s (a caller is a signed-in user, else an address; "
                f"client ids do not count)"
            ),
        )  # fmt: skip
    if config.require_v3_baseline and health.v3_calls == 0:
        return _inconclusive(
            rollout, now, f"holding (inconclusive): no v3 call in the last "
            f"{health.window_seconds} s to compare v4 with (v4 p95 {_ms(health.v4_p95_ms)})",
        )  # fmt: skip
    if (
        health.v3_p95_ms is not None
        and health.v4_p95_ms is not None
        and health.v4_p95_ms > config.max_latency_ratio * health.v3_p95_ms
    ):
        return Verdict(
            Action.HOLD,
            f"holding (latency guard): v4 p95 {_ms(health.v4_p95_ms)} is above "
            f"{config.max_latency_ratio:g} x v3 p95 {_ms(health.v3_p95_ms)}",
        )
    if health.shadow_mismatch_rate > config.max_shadow_mismatch_percent:
        return Verdict(
            Action.HOLD,
            f"holding (shadow guard): {health.shadow_mismatches} of "
            f"{health.shadow_comparisons} shadow comparisons differ "
            f"({health.shadow_mismatch_rate:.2f}% > {config.max_shadow_mismatch_percent:g}%)",
        )
    target = min(rollout.current_percentage + config.increment_percentage, config.max_percentage)
    gates = [g for g in config.pause_at if rollout.current_percentage < g <= target]
    if gates:
        return Verdict(
            Action.GATE,
            f"paused at the gate of {min(gates):g}%: waiting for a person, resumeRollout goes "
            f"on ({health.summary()})",
            min(gates),
        )
    if target >= 100:
        return Verdict(Action.COMPLETE, f"completed: 100%, FULL ({health.summary()})", 100.0)
    return Verdict(Action.ADVANCE, f"advanced to {target:g}% ({health.summary()})", target)


def _inconclusive(rollout: Rollout, now: datetime, reason: str) -> Verdict:
    """Hold for want of figures; pause once that has lasted maxInconclusiveWindows."""
    config = rollout.config
    since = rollout.inconclusive_since or now
    windows = (now - since).total_seconds() / config.monitoring_period_seconds
    if config.max_inconclusive_windows and windows >= config.max_inconclusive_windows:
        return Verdict(
            Action.PAUSE,
            f"paused (inconclusive for {windows:.0f} windows of "
            f"{config.monitoring_period_seconds} s): {reason}; resumeRollout goes on",
        )
    return Verdict(Action.HOLD, reason, inconclusive=True)


def after(rollout: Rollout, verdict: Verdict, now: datetime) -> Rollout:
    """The rollout once the verdict is carried out."""
    state = {
        Action.STOP: RolloutState.STOPPED,
        Action.ROLL_BACK: RolloutState.ROLLED_BACK,
        Action.COMPLETE: RolloutState.COMPLETED,
        Action.GATE: RolloutState.PAUSED,
        Action.PAUSE: RolloutState.PAUSED,
    }.get(verdict.action, rollout.state)
    percentage = (
        verdict.percentage if verdict.percentage is not None else rollout.current_percentage
    )
    next_step = rollout.next_step_at
    if verdict.action in (Action.ADVANCE, Action.GATE):
        next_step = now + timedelta(seconds=rollout.config.increment_interval_seconds)
    if state not in ACTIVE:
        next_step = None
    return replace(
        rollout,
        state=state,
        current_percentage=0.0 if verdict.action is Action.ROLL_BACK else percentage,
        next_step_at=next_step,
        last_decision=verdict.reason,
        updated_at=now,
        inconclusive_since=(rollout.inconclusive_since or now) if verdict.inconclusive else None,
    )
