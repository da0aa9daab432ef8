"""The alert engine: at every controller tick, the leader gathers the figures, runs the
rules (flags.alerts.rules) and the lifecycle (flags.alerts.lifecycle), and stores what
fired or resolved (flags.alerts.store, with its notifications in the outbox). Every
instance, leading or not, refreshes the firing alerts it shows (the Prometheus gauge).

Each rule's pending and keep-firing durations (`timings`) run on the engine's `clock`:
a breach fires only once it has lasted its `for`, and a firing alert resolves only once
it has been clear for its `keep_firing_for`, so an episode is one firing and one
resolution, one notification each, however often its figure crosses the threshold."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Protocol

import structlog

from jewgo.flags.alerts.lifecycle import Lifecycle
from jewgo.flags.alerts.rules import (
    TIMINGS,
    FleetFigures,
    Rule,
    Signal,
    Thresholds,
    Timing,
    flag_signals,
    fleet_signals,
)
from jewgo.flags.alerts.store import Alert, AlertStore
from jewgo.flags.clock import Clock, utc_now
from jewgo.flags.rollouts.model import Health, Rollout
from jewgo.flags.stages import DOMAIN_FLAGS

log = structlog.get_logger("jewgo.alerts")
DEFAULT_THRESHOLDS = Thresholds()


class Component(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def detail(self) -> str | None: ...


class AlertEngine:
    def __init__(
        self,
        store: AlertStore,
        *,
        health: Callable[[str, int], Awaitable[Health]],
        rollouts: Callable[[], Awaitable[Mapping[str, Rollout]]],
        components: Callable[[], Awaitable[Sequence[Component]]],
        instance: str,
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
        enabled: frozenset[Rule] = frozenset(Rule),
        timings: Mapping[Rule, Timing] = TIMINGS,
        window_seconds: int = 300,
        recorded: Callable[[], object] = lambda: None,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._health = health
        self._rollouts = rollouts
        self._components = components
        self._instance = instance
        self._thresholds = thresholds
        self._enabled = enabled
        self._lifecycle = Lifecycle(timings)
        self._window = window_seconds
        self._recorded = recorded
        self._clock = clock
        self.firing: list[Alert] = []

    async def signals(self) -> list[Signal]:
        """Every rule's signal now (the heartbeat of this tick is marked on the way)."""
        now = self._clock()
        previous, at = await self._store.heartbeat(self._instance, now)
        gap = max(0.0, (now - at).total_seconds()) if at is not None else 0.0
        rollouts = await self._rollouts()
        found: list[Signal] = []
        for flag in DOMAIN_FLAGS.values():
            rollout = rollouts.get(flag)
            window = rollout.config.monitoring_period_seconds if rollout else self._window
            health = await self._health(flag, window)
            found.extend(flag_signals(flag, health, rollout, now, self._thresholds))
        components = {c.name: (c.status, c.detail) for c in await self._components()}
        fleet = FleetFigures(components, gap, previous)
        found.extend(fleet_signals(fleet, self._thresholds))
        return found

    async def evaluate(self) -> list[Alert]:
        """One evaluation by the leader: what fired and resolved (stored)."""
        signals = await self.signals()
        firing = await self._store.firing()
        now = self._clock()
        transitions = self._lifecycle.step(
            {alert.key: alert.starts_at for alert in firing}, signals, now, self._enabled
        )
        if not transitions:
            self.firing = firing
            return []
        stored = await self._store.record(transitions, now)
        for alert in stored:
            log.warning(
                "alert", state=alert.state.value, rule=alert.rule, flag=alert.flag or None,
                summary=alert.summary,
            )  # fmt: skip
        self._recorded()
        self.firing = await self._store.firing()
        return stored

    async def refresh(self) -> None:
        self.firing = await self._store.firing()

    async def on_tick(self, leading: bool) -> None:
        """The controller's tick: the leader evaluates, the others read what it stored."""
        if leading:
            await self.evaluate()
        else:
            await self.refresh()
