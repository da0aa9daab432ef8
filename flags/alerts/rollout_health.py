"""A rollout's health, the seed's figures: healthy or not (and why), v4's error rate as
the guard weighs it, the distinct callers v4 served under the flag since the rollout
started, and the flag's alerts firing."""

from __future__ import annotations

from dataclasses import dataclass

from jewgo.flags.alerts.rules import error_rate
from jewgo.flags.alerts.store import AlertStore
from jewgo.flags.rollouts.controller import HealthSource
from jewgo.flags.rollouts.model import Rollout, RolloutState
from jewgo.flags.telemetry.reach import Reach
from jewgo.flags.telemetry.window import WindowMetrics


@dataclass(frozen=True, slots=True)
class RolloutFigures:
    is_healthy: bool
    error_rate_percent: float
    users_affected: int
    signed_in_users_affected: int
    anonymous_callers_affected: int
    alerts_count: int
    reasons: tuple[str, ...]


async def rollout_figures(
    rollout: Rollout, *, metrics: WindowMetrics, alerts: AlertStore, reach: Reach
) -> RolloutFigures:
    config = rollout.config
    window = await HealthSource(metrics)(rollout.flag, config.monitoring_period_seconds)
    rate, judged = error_rate(window, config)
    firing = await alerts.firing(rollout.flag)
    reasons: list[str] = []
    if rollout.state is RolloutState.ROLLED_BACK:
        reasons.append("rolled back")
    if firing:
        reasons.append("firing: " + ", ".join(sorted({a.rule for a in firing})))
    if judged and rate > config.auto_rollback_threshold_percent:
        reasons.append(
            f"v4 error rate {rate:.2f}% above {config.auto_rollback_threshold_percent:g}%"
        )
    affected = await reach.affected(rollout.flag, rollout.started_at)
    return RolloutFigures(
        is_healthy=not reasons,
        error_rate_percent=round(rate, 3),
        users_affected=affected.total,
        signed_in_users_affected=affected.users,
        anonymous_callers_affected=affected.anonymous,
        alerts_count=len(firing),
        reasons=tuple(reasons),
    )
