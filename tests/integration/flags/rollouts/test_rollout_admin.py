"""The flag admin's rollouts on SQLite and PostgreSQL: started and moved by the transition
table, stopped by a hand on the flag in the same transaction, refused without a trace,
and every change of flags announced to another instance over Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from jewgo.flags.admin.changes import FlagAdmin
from jewgo.flags.admin.sync import Flags
from jewgo.flags.admin.users import user_role_query
from jewgo.flags.errors import FlagError, InvalidChange, VersionConflict
from jewgo.flags.rollouts.model import RolloutState
from jewgo.flags.stages import Stage
from jewgo.flags.store import FlagStore
from tests.integration.admin_world import CONFIG, FLAG, World, world_on
from tests.support import Database

Change = Callable[[FlagAdmin], Awaitable[Any]]


@pytest.fixture
async def world(fresh_db: Database) -> AsyncIterator[World]:
    async with world_on(fresh_db) as world:
        yield world


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda a: a.start_rollout(FLAG, CONFIG, actor="a"), VersionConflict),
        (lambda a: a.start_rollout("api_v4_users", CONFIG, actor="a"), InvalidChange),
        (lambda a: a.resume_rollout(FLAG, actor="a"), InvalidChange),
        (lambda a: a.set_stage("api_v4_users", Stage.FULL, actor="a"), InvalidChange),
    ],
)
async def test_a_change_the_state_refuses_writes_and_announces_nothing(
    world: World, change: Change, error: type[FlagError]
) -> None:
    await world.admin.start_rollout(FLAG, CONFIG, actor="a")
    await world.admin.set_stage("api_v4_users", Stage.COMPLETE, actor="a", force=True, reason="r")
    before, announced = await world.state(), list(world.announced.revisions)
    with pytest.raises(error):
        await change(world.admin)
    assert await world.state() == before
    assert world.announced.revisions == announced


async def test_a_change_by_hand_and_the_rollout_it_stops_are_one_transaction(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.admin.start_rollout(FLAG, CONFIG, actor="a")
    before, announced = await world.state(), list(world.announced.revisions)
    honest = FlagStore.write

    async def audit_fails(self: FlagStore, *args: Any, **kwargs: Any) -> Any:
        await honest(self, *args, **kwargs)  # the flag row is updated, then...
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(FlagStore, "write", audit_fails)
    with pytest.raises(RuntimeError):
        await world.admin.set_percentage(FLAG, 35, actor="a")
    assert await world.state() == before  # the rollout still RUNNING, the flag as it was
    assert (await world.rollouts.current())[FLAG].state is RolloutState.RUNNING
    assert world.announced.revisions == announced


async def test_a_change_by_hand_stops_the_running_rollout(world: World) -> None:
    await world.admin.start_rollout(FLAG, CONFIG, actor="user:1")
    await world.admin.set_stage(FLAG, Stage.FULL, actor="user:2")
    rollout = (await world.rollouts.current())[FLAG]
    assert (rollout.state, rollout.next_step_at) == (RolloutState.STOPPED, None)
    assert rollout.last_decision == "stopped: the flag was changed by hand (user:2)"


async def test_a_rollout_starts_below_what_the_flag_serves_only_when_allowed(
    world: World,
) -> None:
    admin = world.admin
    await admin.set_stage(FLAG, Stage.TESTING, actor="a")
    await admin.set_stage(FLAG, Stage.PARTIAL, actor="a")
    await admin.set_percentage(FLAG, 25, actor="a")
    before, announced = await world.state(), list(world.announced.revisions)
    with pytest.raises(InvalidChange, match="sends 5% of callers back to v3"):
        await admin.start_rollout(FLAG, CONFIG, actor="a")  # CONFIG starts at 20 %
    assert await world.state() == before
    assert world.announced.revisions == announced
    started = await admin.start_rollout(FLAG, CONFIG, actor="a", allow_lowering=True)
    assert started.current_percentage == 20.0
    flag = (await world.store.snapshot()).flags[FLAG]
    assert (flag.stage, flag.percentage) == (Stage.PARTIAL, 20.0)
    (event,) = await admin.history(FLAG, 1)
    assert (event.action, event.from_percentage, event.to_percentage) == (
        "START_ROLLOUT", 25.0, 20.0,
    )  # fmt: skip


async def test_a_rollout_starts_announced_and_moves_by_the_transitions(world: World) -> None:
    admin, store = world.admin, world.store
    started = await admin.start_rollout(FLAG, CONFIG, actor="user:1")
    assert (started.state, started.current_percentage, started.version) == (
        RolloutState.RUNNING, 20.0, 1,
    )  # fmt: skip
    assert started.id == (await world.rollouts.current())[FLAG].id
    flag = (await store.snapshot()).flags[FLAG]
    assert (flag.stage, flag.percentage) == (Stage.PARTIAL, 20.0)
    assert world.announced.revisions == [await store.revision()]
    moves = [
        (admin.pause_rollout, RolloutState.PAUSED, "paused by user:1"),
        (admin.resume_rollout, RolloutState.RUNNING, "running by user:1"),
        (admin.pause_rollout, RolloutState.PAUSED, "paused by user:1"),
        (admin.stop_rollout, RolloutState.STOPPED, "stopped by user:1"),
    ]
    revision = await store.revision()
    for move, state, decision in moves:
        done = await move(FLAG, actor="user:1")
        assert (done.state, done.last_decision) == (state, decision)
        assert (await world.rollouts.current())[FLAG] == done
    # A move changes no flag: the revision stays and nothing is announced.
    assert await store.revision() == revision
    assert len(world.announced.revisions) == 1
    history = await admin.history(FLAG, 10)
    assert [e.action for e in history] == [
        "ROLLOUT_STOPPED", "ROLLOUT_PAUSED", "ROLLOUT_RUNNING", "ROLLOUT_PAUSED",
        "START_ROLLOUT",
    ]  # fmt: skip


async def test_another_instance_reloads_without_anyone_calling_changed(
    world: World, redis_url: str, namespace: str
) -> None:
    """The admin holds the propagation's `changed()`: a second Flags on the same channel,
    which never polls here, hears every change (a rollout's start too) within a second."""
    channel = f"{namespace}:flags"
    here_redis, there_redis = Redis.from_url(redis_url), Redis.from_url(redis_url)
    here = Flags(world.store, redis=here_redis, channel=channel, poll_seconds=3600)
    there = Flags(FlagStore(world.engine), redis=there_redis, channel=channel, poll_seconds=3600)
    admin = FlagAdmin(
        world.store, world.rollouts, changed=here.changed, user_role=user_role_query(world.engine)
    )
    await here.load()
    await there.start()
    try:

        async def until(check: Callable[[], bool], within: float) -> None:
            deadline = time.monotonic() + within
            while not check():
                assert time.monotonic() < deadline, f"not within {within} s"
                await asyncio.sleep(0.01)

        async def listening() -> bool:
            subscribers = dict(await here_redis.pubsub_numsub(channel))
            return int(subscribers.get(channel.encode(), 0)) >= 1

        deadline = time.monotonic() + 5
        while not await listening():
            assert time.monotonic() < deadline, "the second instance never subscribed"
            await asyncio.sleep(0.01)

        await admin.set_stage(FLAG, Stage.TESTING, actor="a")
        assert here.snapshot.flags[FLAG].stage is Stage.TESTING  # in force here at once
        await until(lambda: there.snapshot.flags[FLAG].stage is Stage.TESTING, within=1.0)
        await admin.start_rollout("api_v4_users", CONFIG, actor="a")
        await until(lambda: there.snapshot.flags["api_v4_users"].stage is Stage.PARTIAL, 1.0)
        await admin.rollback(None, actor="a", reason="drill")
        await until(lambda: there.snapshot.revision == here.snapshot.revision, within=1.0)
        assert {s.stage for s in there.snapshot.flags.values()} == {Stage.DISABLED}
    finally:
        await there.stop()
        await here.stop()
        await here_redis.aclose()
        await there_redis.aclose()
