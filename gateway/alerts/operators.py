"""What operators are told, for one process, built from settings: the alerts (the store,
the engine the controller calls at every tick, the outbox and its notifier, delivering
while this instance leads), the reach of each rollout (usersAffected), the durable daily
counts and decommission readiness."""

from __future__ import annotations

import os
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.flags.alerts.decommission import Decommission
from jewgo.flags.alerts.engine import AlertEngine, Component
from jewgo.flags.alerts.outbox import Outbox
from jewgo.flags.alerts.rules import Thresholds
from jewgo.flags.alerts.store import AlertStore
from jewgo.flags.rollouts.controller import RolloutController
from jewgo.flags.rollouts.model import Health, Rollout
from jewgo.flags.telemetry.daily_calls import DailyCalls
from jewgo.flags.telemetry.reach import Reach
from jewgo.gateway.alerts.notifier import Notifier
from jewgo.gateway.operations.coverage import Coverage
from jewgo.gateway.settings import Settings
from jewgo.gateway.telemetry.metrics import AlertGauges


@dataclass
class Operators:
    store: AlertStore
    engine: AlertEngine
    outbox: Outbox
    notifier: Notifier
    gauges: AlertGauges
    reach: Reach
    daily: DailyCalls
    decommission: Decommission

    async def start(self) -> None:
        await self.reach.start()
        await self.daily.start()
        await self.notifier.start()

    async def stop(self) -> None:
        await self.notifier.stop()
        await self.daily.stop()
        await self.reach.stop()


def build_operators(
    settings: Settings,
    engine: AsyncEngine,
    redis: Redis | None,
    controller: RolloutController,
    *,
    health: Callable[[str, int], Awaitable[Health]],
    rollouts: Callable[[], Awaitable[Mapping[str, Rollout]]],
    components: Callable[[], Awaitable[Sequence[Component]]],
) -> Operators:
    store = AlertStore(engine, settings.webhook_urls)
    outbox = Outbox(engine)
    secret = settings.alert_webhook_secret
    interval = settings.rollout_interval_seconds
    notifier = Notifier(
        outbox,
        leading=lambda: controller.leading,
        secret=secret.get_secret_value() if secret is not None else None,
        timeout=settings.alert_webhook_timeout_seconds,
        max_attempts=settings.alert_webhook_max_attempts,
        backoff_seconds=settings.alert_webhook_backoff_seconds,
        max_backoff_seconds=settings.alert_webhook_max_backoff_seconds,
        interval_seconds=interval,
    )
    thresholds = Thresholds(
        warning_fraction=settings.alert_warning_fraction,
        hysteresis_percent=settings.alert_hysteresis_percent,
        shadow_candidate_errors=settings.alert_shadow_candidate_errors,
        min_shadow_comparisons=settings.alert_min_shadow_comparisons,
        rollback_seconds=settings.alert_rollback_seconds,
        rollout_held_seconds=settings.alert_rollout_held_seconds,
        # A gap of a few ticks is a slow tick, not a fleet without a leader.
        leaderless_seconds=max(settings.alert_leaderless_seconds, 3 * interval),
    )
    alerts = AlertEngine(
        store,
        health=health,
        rollouts=rollouts,
        components=components,
        instance=f"{socket.gethostname()}:{os.getpid()}",
        thresholds=thresholds,
        enabled=settings.enabled_rules,
        timings=settings.alert_timings,
        window_seconds=settings.alert_window_seconds,
        recorded=notifier.poke,
    )
    controller.observe(alerts.on_tick)
    gauges = AlertGauges(lambda: alerts.firing, lambda: controller.leading)
    reach = Reach(
        redis,
        namespace=settings.redis_namespace,
        timeout=settings.redis_timeout_seconds,
        flush_seconds=settings.metrics_flush_seconds,
    )
    daily = DailyCalls(engine, flush_seconds=settings.daily_calls_flush_seconds)
    coverage = Coverage(engine)

    async def uncovered(domain: str) -> int:
        figures = await coverage.of(domain)
        return figures.known - figures.clean

    decommission = Decommission(
        engine, daily, store, stable_days=settings.decommission_stable_days, uncovered=uncovered
    )
    return Operators(store, alerts, outbox, notifier, gauges, reach, daily, decommission)
