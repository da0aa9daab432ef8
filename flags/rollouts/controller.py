"""The rollout controller: one per fleet, holding a lease, judging every RUNNING rollout
every few seconds over its monitoring window.

The lease (flags.rollouts.lease) is an advisory lock in PostgreSQL: exactly one instance leads
while the database is up, and when the leader dies another takes over at its next tick.
On the embedded database the one process leads. Steps are guarded by version checks in
the database all the same. Time comes from an injected clock, so tests run a whole
rollout in seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from jewgo.flags import tasks
from jewgo.flags.clock import Clock, utc_now
from jewgo.flags.errors import FlagError
from jewgo.flags.rollouts.lease import Lease
from jewgo.flags.rollouts.model import Action, Health, Rollout, evaluate
from jewgo.flags.rollouts.store import RolloutStore
from jewgo.flags.telemetry.noise import DEFAULT_RULE, NoiseRule, mismatches_beyond_noise
from jewgo.flags.telemetry.weighting import slots_of
from jewgo.flags.telemetry.window import (
    CACHED,
    SHARED_ERRORS,
    Cell,
    WindowMetrics,
    domains_of,
    flag_series,
    versions_of,
)

log = structlog.get_logger("jewgo.rollouts")


class HealthSource:
    """The controller's window: v4 and v3 calls of the flag's domains, and its shadow.
    Answers from the response cache count apart (`v4_cached`): error rates and the
    traffic a step needs are over executions."""

    def __init__(
        self,
        metrics: WindowMetrics,
        noise: NoiseRule | None = None,
        *,
        proxy_warning: Callable[[], str | None] | None = None,
    ) -> None:
        """`proxy_warning`: why the traffic looks forwarded by an undeclared proxy, if it
        does (gateway.request.forwarding): the controller's holds for want of callers say it."""
        self._metrics = metrics
        self._noise = noise or DEFAULT_RULE
        self._proxy_warning = proxy_warning

    async def __call__(self, flag: str, window_seconds: int) -> Health:
        cells = await self._metrics.window(window_seconds, flag_series(flag))
        versions = versions_of(cells, domains_of(flag))
        v3, v4 = versions["v3"], versions["v4"]
        shadow = cells.get((flag, "shadow"), Cell())
        return Health(
            window_seconds=window_seconds,
            v4_calls=v4.calls,
            v4_errors=v4.errors,
            v4_p95_ms=v4.percentile_ms(0.95),
            v3_calls=v3.calls,
            v3_errors=v3.errors,
            v3_p95_ms=v3.percentile_ms(0.95),
            shadow_comparisons=shadow.calls,
            shadow_mismatches=mismatches_beyond_noise(shadow, self._noise),
            shadow_candidate_errors=shadow.errors,
            v4_slots=tuple(
                (index, calls, errors) for index, (calls, errors) in slots_of(v4.extra).items()
            ),
            v4_shared_errors=v4.extra.get(SHARED_ERRORS, 0),
            v4_cached=v4.extra.get(CACHED, 0),
            proxy_warning=self._proxy_warning() if self._proxy_warning is not None else None,
        )


class RolloutController:
    def __init__(
        self,
        store: RolloutStore,
        health: Callable[[str, int], Awaitable[Health]],
        lease: Lease,
        *,
        changed: Callable[[], Awaitable[object]],
        interval_seconds: float = 5.0,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._health = health
        self._lease = lease
        self._changed = changed
        self._interval = interval_seconds
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._observers: list[Callable[[bool], Awaitable[object]]] = []
        self.leading = False

    def observe(self, observer: Callable[[bool], Awaitable[object]]) -> None:
        """`observer(leading)` after every tick (the alerts); its failure is its own."""
        self._observers.append(observer)

    @property
    def standing(self) -> str:
        """Whether this instance leads, and why not when it does not."""
        return self._lease.standing

    async def tick(self) -> list[Rollout]:
        """Judge every RUNNING rollout once; the rollouts as they are afterwards."""
        # Rollouts first, then flags: a rollout and its flag's first change commit
        # together, so every rollout read here finds its flag as it started it.
        running = await self._store.running()
        if not running:
            return []
        flags = await self._store.flags.snapshot()
        results: list[Rollout] = []
        changed_a_flag = False
        for rollout in running:
            now = self._clock()
            flag = flags.flags[rollout.flag]
            health = await self._health(rollout.flag, rollout.config.monitoring_period_seconds)
            verdict = evaluate(rollout, flag, health, now)
            try:
                done = await self._store.apply(rollout, flag, verdict, health, now)
            except FlagError as exc:  # paused, stopped or changed by hand meanwhile
                log.info("rollout step skipped", flag=rollout.flag, reason=exc.message)
                continue
            changed_a_flag |= verdict.action in (
                Action.ADVANCE, Action.COMPLETE, Action.ROLL_BACK, Action.GATE,
            )  # fmt: skip
            if verdict.action is not Action.HOLD or done.last_decision != rollout.last_decision:
                log.info(
                    "rollout", flag=rollout.flag, action=verdict.action.value, reason=verdict.reason
                )
            results.append(done)
        if changed_a_flag:
            await self._changed()
        return results

    async def _run(self) -> None:
        while True:
            try:
                self.leading = await self._lease.hold()
                if self.leading:
                    await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bad tick must not end the controller
                log.exception("rollout controller tick failed")
            for observer in self._observers:
                try:
                    await observer(self.leading)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("rollout controller observer failed")
            await asyncio.sleep(self._interval)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="rollout-controller")

    async def stop(self) -> None:
        await tasks.stop(self._task)
        self._task = None
        # Held or not, the lease lets go of what it holds (its connection, at least).
        await self._lease.close()
        self.leading = False
