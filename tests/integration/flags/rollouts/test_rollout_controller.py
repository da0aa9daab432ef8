"""The controller on the real flag and rollout stores, with an injected clock and window."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.engine import create_engine
from jewgo.flags.admin.changes import FlagAdmin
from jewgo.flags.admin.users import user_role_query
from jewgo.flags.errors import InvalidChange, VersionConflict
from jewgo.flags.rollouts.controller import RolloutController
from jewgo.flags.rollouts.lease import LocalLease, PostgresLease
from jewgo.flags.rollouts.model import Health, RolloutConfig, RolloutState
from jewgo.flags.rollouts.store import RolloutStore
from jewgo.flags.stages import Stage
from jewgo.flags.store import FlagStore
from tests.conftest import Templates, clone
from tests.support import Database

FLAG = "api_v4_reviews"
CONFIG = RolloutConfig(
    initial_percentage=20, increment_percentage=40, increment_interval_seconds=10,
    monitoring_period_seconds=10, auto_rollback_threshold_percent=5, min_requests=50,
)  # fmt: skip
HEALTHY = Health(10, v4_calls=200, v4_errors=1, v4_p95_ms=20.0, v3_calls=500, v3_p95_ms=20.0)


class World:
    def __init__(self, engine: AsyncEngine) -> None:
        self.now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
        self.health = HEALTHY
        self.flags = FlagStore(engine)
        self.rollouts = RolloutStore(self.flags)
        self.changes = 0

        async def health(flag: str, window: int) -> Health:
            return replace(self.health, window_seconds=window)

        async def changed() -> None:
            self.changes += 1

        async def announced() -> None:  # the admin's announcements are not counted here
            return None

        self.controller = RolloutController(
            self.rollouts, health, LocalLease(), changed=changed, clock=lambda: self.now
        )
        self.admin = FlagAdmin(
            self.flags,
            self.rollouts,
            changed=announced,
            user_role=user_role_query(engine),
            clock=lambda: self.now,
        )

    async def start(self, config: RolloutConfig = CONFIG) -> None:
        await self.admin.start_rollout(FLAG, config, actor="user:1")

    async def step(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        await self.controller.tick()

    async def flag(self) -> tuple[Stage, float]:
        state = (await self.flags.snapshot()).flags[FLAG]
        return state.stage, state.percentage

    async def rollout(self) -> tuple[RolloutState, float, str | None]:
        rollout = (await self.rollouts.current())[FLAG]
        return rollout.state, rollout.current_percentage, rollout.last_decision


@pytest.fixture
async def world(fresh_db: Database) -> AsyncIterator[World]:
    engine = create_engine(fresh_db.url)
    yield World(engine)
    await engine.dispose()


async def test_a_healthy_rollout_walks_to_full(world: World) -> None:
    await world.start()
    assert await world.flag() == (Stage.PARTIAL, 20.0)
    await world.step(5)  # not due yet
    state, percentage, reason = await world.rollout()
    assert (state, percentage) == (RolloutState.RUNNING, 20.0)
    assert reason is not None and "next step" in reason
    seen = []
    for _ in range(3):
        await world.step(10)
        seen.append(await world.flag())
    assert seen == [(Stage.PARTIAL, 60.0), (Stage.FULL, 100.0), (Stage.FULL, 100.0)]
    assert (await world.rollout())[:2] == (RolloutState.COMPLETED, 100.0)
    history = await world.flags.history(FLAG, 10)
    assert [e.action for e in history] == ["ROLLOUT_COMPLETE", "ROLLOUT_STEP", "START_ROLLOUT"]
    assert history[0].details is not None and history[0].details["v4Calls"] == 200
    # What the figures were compared with is in the audit event too.
    assert history[0].details["thresholds"]["autoRollbackThresholdPercent"] == 5.0
    assert world.changes == 2


async def test_an_unhealthy_rollout_rolls_back_with_its_figures(world: World) -> None:
    await world.start()
    world.health = replace(HEALTHY, v4_calls=120, v4_errors=36)
    await world.step(1)  # no need to wait for the step
    assert await world.flag() == (Stage.DISABLED, 0.0)
    state, percentage, reason = await world.rollout()
    assert (state, percentage) == (RolloutState.ROLLED_BACK, 0.0)
    assert reason is not None and "30.00%" in reason
    event = (await world.flags.history(FLAG, 1))[0]
    assert (event.action, event.actor, event.to_stage) == (
        "ROLLOUT_ROLLBACK",
        "rollout-controller",
        Stage.DISABLED,
    )
    assert event.details is not None
    assert (event.details["v4Calls"], event.details["v4Errors"]) == (120, 36)


async def test_thin_traffic_holds_and_says_why(world: World) -> None:
    await world.start()
    world.health = replace(HEALTHY, v4_calls=7, v4_errors=7)
    await world.step(30)
    state, percentage, reason = await world.rollout()
    assert (state, percentage) == (RolloutState.RUNNING, 20.0)
    assert reason == "holding: thin traffic, 7 of 50 v4 calls needed in the last 10 s"
    assert await world.flag() == (Stage.PARTIAL, 20.0)


async def test_a_hand_on_the_flag_stops_the_rollout(world: World) -> None:
    await world.start()
    await world.admin.set_percentage(FLAG, 35, actor="user:1")
    state, _, reason = await world.rollout()
    assert state is RolloutState.STOPPED
    assert reason == "stopped: the flag was changed by hand (user:1)"
    await world.step(30)
    assert await world.flag() == (Stage.PARTIAL, 35.0)  # the controller leaves it alone


async def test_a_change_behind_the_stores_back_stops_it_too(
    world: World, fresh_db: Database
) -> None:
    await world.start()
    engine = create_engine(fresh_db.url)
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE feature_flags SET stage = 'FULL' WHERE name = :n"), {"n": FLAG}
        )
    await engine.dispose()
    await world.step(30)
    state, _, reason = await world.rollout()
    assert state is RolloutState.STOPPED
    assert reason is not None and "changed by hand" in reason


async def test_paused_rollouts_wait_and_resume(world: World) -> None:
    await world.start()
    paused = await world.admin.pause_rollout(FLAG, actor="user:1")
    assert paused.state is RolloutState.PAUSED
    await world.step(30)
    assert await world.flag() == (Stage.PARTIAL, 20.0)
    with pytest.raises(InvalidChange):
        await world.admin.pause_rollout(FLAG, actor="user:1")
    await world.admin.resume_rollout(FLAG, actor="user:1")
    await world.step(11)
    assert await world.flag() == (Stage.PARTIAL, 60.0)


async def test_one_rollout_per_flag_and_none_of_a_complete_flag(world: World) -> None:
    await world.start()
    with pytest.raises(VersionConflict):
        await world.start()
    await world.admin.set_stage(
        "api_v4_users", Stage.COMPLETE, actor="user:1", force=True, reason="done"
    )
    with pytest.raises(InvalidChange):
        await world.admin.start_rollout("api_v4_users", CONFIG, actor="user:1")
    with pytest.raises(InvalidChange):
        await world.admin.start_rollout(
            "api_v4_cache", replace(CONFIG, increment_percentage=0), actor="user:1"
        )


async def test_the_config_is_kept_with_the_rollout(world: World) -> None:
    await world.start()
    stored = (await world.rollouts.current())[FLAG]
    assert stored.config == CONFIG
    event = (await world.flags.history(FLAG, 1))[0]
    assert event.details is not None
    assert json.loads(event.details["config"])["min_requests"] == 50


async def test_one_lease_holder_at_a_time_and_a_successor_when_the_holder_is_gone(
    templates: Templates, tmp_path: Path, namespace: str
) -> None:
    # PostgreSQL's advisory lock; the embedded SQLite database has one process, which leads.
    database = await clone("postgres", templates, tmp_path)
    engine = create_engine(database.url)
    first = PostgresLease(engine, f"{namespace}:lease")
    second = PostgresLease(engine, f"{namespace}:lease")
    try:
        assert await first.hold() is True
        assert await second.hold() is False
        assert "standby" in second.standing
        assert await first.hold() is True  # kept while its session lives
        async with engine.connect() as conn:  # the holder's connection is cut off
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()"
                )
            )
        assert await first.hold() is False  # it notices at its next tick ...
        assert await second.hold() is True  # ... and the other takes over at once
        assert await first.hold() is False
        await second.release()
        assert await first.hold() is True
    finally:
        await first.release()
        await second.release()
        await engine.dispose()
        await database.close()
