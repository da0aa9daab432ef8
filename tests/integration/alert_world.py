"""What the alert engine reads, as an integration test sets it, and a clock it moves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from jewgo.flags.alerts.engine import AlertEngine
from jewgo.flags.alerts.store import Alert, AlertStore
from jewgo.flags.rollouts.model import Health, Rollout
from jewgo.gateway.http.health import Component

QUIET = Health(window_seconds=60)
SPIKE = Health(window_seconds=60, v4_calls=400, v4_errors=100)  # 25 %, no caller slots
TICK = timedelta(seconds=5)  # the controller's interval (ROLLOUT_INTERVAL_SECONDS)


@dataclass
class World:
    """What the engine reads, as the test sets it, and a clock the test moves."""

    now: datetime = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    health: dict[str, Health] = field(default_factory=dict)
    rollouts: dict[str, Rollout] = field(default_factory=dict)
    components: list[Component] = field(default_factory=list)

    def clock(self) -> datetime:
        return self.now

    async def window(self, flag: str, seconds: int) -> Health:
        return self.health.get(flag, QUIET)

    async def current(self) -> Mapping[str, Rollout]:
        return self.rollouts

    async def parts(self) -> list[Component]:
        return self.components


def engine_for(store: AlertStore, world: World, instance: str = "host:1") -> AlertEngine:
    return AlertEngine(
        store, health=world.window, rollouts=world.current, components=world.parts,
        instance=instance, clock=world.clock,
    )  # fmt: skip


async def ticking(alerts: AlertEngine, world: World, seconds: float) -> list[Alert]:
    """The leader's evaluations over the next `seconds`, one every TICK (the first a TICK
    from now), the clock moved to each: every event stored meanwhile, oldest first."""
    count, rest = divmod(seconds, TICK.total_seconds())
    assert not rest, f"{seconds} s is not a whole number of ticks"
    stored: list[Alert] = []
    for _ in range(int(count)):
        world.now += TICK
        stored.extend(await alerts.evaluate())
    return stored
