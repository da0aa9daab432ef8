"""The guard weighs callers, through the real window, stores and controller: a flood of
errors from three callers leaves a healthy rollout running; a fault spread over many
callers still rolls it back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from jewgo.db.engine import create_engine
from jewgo.flags.admin.changes import FlagAdmin
from jewgo.flags.admin.users import user_role_query
from jewgo.flags.rollouts.controller import HealthSource, RolloutController
from jewgo.flags.rollouts.lease import LocalLease
from jewgo.flags.rollouts.model import RolloutConfig, RolloutState
from jewgo.flags.rollouts.store import RolloutStore
from jewgo.flags.store import FlagStore
from jewgo.flags.telemetry.window import Observation, WindowMetrics
from tests.support import Database

FLAG, DOMAIN = "api_v4_restaurants", "restaurants"
CONFIG = RolloutConfig(
    initial_percentage=50, increment_percentage=10, increment_interval_seconds=1,
    monitoring_period_seconds=60, min_requests=50,
)  # fmt: skip


class Guarded:
    def __init__(self, database: Database) -> None:
        self.engine = create_engine(database.url)
        self.now = datetime(2026, 12, 1, 12, tzinfo=UTC)
        self.metrics = WindowMetrics(clock=lambda: self.now.timestamp())
        flags = FlagStore(self.engine)
        self.rollouts = RolloutStore(flags)

        async def quiet() -> None:
            return None

        self.admin = FlagAdmin(
            flags, self.rollouts, changed=quiet, user_role=user_role_query(self.engine),
            clock=lambda: self.now,
        )  # fmt: skip
        self.controller = RolloutController(
            self.rollouts, HealthSource(self.metrics), LocalLease(), changed=quiet,
            clock=lambda: self.now,
        )  # fmt: skip

    def calls(self, callers: range, per_caller: int, *, failing: bool) -> None:
        for caller in callers:
            for _ in range(per_caller):
                self.metrics.record(
                    Observation(DOMAIN, "v4", 0.01, failing, caller=f"address:10.1.{caller}")
                )

    async def judged(self) -> tuple[RolloutState, str]:
        self.now += timedelta(seconds=2)
        await self.controller.tick()
        rollout = (await self.rollouts.current())[FLAG]
        return rollout.state, rollout.last_decision or ""


@pytest.fixture
async def guarded(fresh_db: Database) -> AsyncIterator[Guarded]:
    world = Guarded(fresh_db)
    await world.admin.start_rollout(FLAG, CONFIG, actor="user:1")
    yield world
    await world.engine.dispose()


async def test_a_flood_of_errors_from_three_callers_leaves_the_rollout_running(
    guarded: Guarded,
) -> None:
    guarded.calls(range(200), 3, failing=False)
    guarded.calls(range(900, 903), 300, failing=True)  # 900 errors, 90 % of v4's calls
    state, decision = await guarded.judged()
    assert state is RolloutState.RUNNING, decision
    assert "advanced" in decision


async def test_a_fault_spread_over_many_callers_still_rolls_back(guarded: Guarded) -> None:
    guarded.calls(range(200), 4, failing=False)
    guarded.calls(range(200), 1, failing=True)  # 20 % for everyone
    state, decision = await guarded.judged()
    assert state is RolloutState.ROLLED_BACK, decision
    assert "rolled back" in decision and "callers" in decision
