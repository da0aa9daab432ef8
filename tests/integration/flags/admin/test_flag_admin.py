"""The flag admin's changes of flags on SQLite and PostgreSQL: each one transaction under
the rules, audited and announced once committed; a rejected change writes (and announces)
nothing. (Rollouts: test_rollout_admin.py.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest

from jewgo.flags.admin.changes import FlagAdmin
from jewgo.flags.errors import FlagError, InvalidChange, UnknownFlag, VersionConflict
from jewgo.flags.stages import FLAG_NAMES, Stage
from tests.integration.admin_world import CONFIG, FLAG, World, world_on
from tests.support import Database

Change = Callable[[FlagAdmin], Awaitable[Any]]


@pytest.fixture
async def world(fresh_db: Database) -> AsyncIterator[World]:
    async with world_on(fresh_db) as world:
        yield world


async def test_a_change_bumps_version_and_revision_is_audited_and_announced(
    world: World,
) -> None:
    admin, store = world.admin, world.store
    before = await store.snapshot()
    state = await admin.set_stage(FLAG, Stage.TESTING, actor="user:1", reason="staff")
    state = await admin.set_stage(FLAG, Stage.PARTIAL, actor="user:1", reason="canary")
    assert (state.stage, state.version, state.updated_by) == (Stage.PARTIAL, 3, "user:1")
    state = await admin.set_percentage(FLAG, 12.5, actor="user:1", expected_version=3)
    assert (state.percentage, state.version) == (12.5, 4)
    after = await store.snapshot()
    assert after.revision == before.revision + 3
    assert await store.revision() == after.revision
    assert world.announced.revisions == [before.revision + n for n in (1, 2, 3)]
    history = await admin.history(FLAG, 10)
    assert [(e.action, e.from_stage, e.to_stage, e.to_percentage) for e in history] == [
        ("SET_PERCENTAGE", Stage.PARTIAL, Stage.PARTIAL, 12.5),
        ("SET_STAGE", Stage.TESTING, Stage.PARTIAL, 0.0),
        ("SET_STAGE", Stage.DISABLED, Stage.TESTING, 0.0),
    ]
    assert (history[1].reason, history[1].details) == ("canary", None)
    assert history[0].at >= history[1].at


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda a: a.set_stage("api_v5_everything", Stage.FULL, actor="a"), UnknownFlag),
        (lambda a: a.set_percentage(FLAG, 100.5, actor="a"), InvalidChange),
        (lambda a: a.set_percentage(FLAG, -1, actor="a"), InvalidChange),
        (lambda a: a.set_percentage(FLAG, float("nan"), actor="a"), InvalidChange),
        (lambda a: a.set_stage(FLAG, Stage.FULL, actor="a", expected_version=7), VersionConflict),
        (lambda a: a.set_stage(FLAG, Stage.FULL, actor="a", reason="why"), InvalidChange),
        (lambda a: a.set_stage(FLAG, Stage.PARTIAL, actor="a", force=True), InvalidChange),
        (lambda a: a.set_percentage(FLAG, 5, actor="a", expected_version=0), VersionConflict),
        (lambda a: a.set_user_override(FLAG, 999_999, True, actor="a"), InvalidChange),
        (lambda a: a.set_user_override("nope", 999_999, True, actor="a"), UnknownFlag),
        (lambda a: a.rollback("nope", actor="a", reason="r"), UnknownFlag),
        (lambda a: a.rollback(None, actor="a", reason="  "), InvalidChange),
        (lambda a: a.start_rollout("nope", CONFIG, actor="a"), UnknownFlag),
        (lambda a: a.start_rollout(FLAG, replace(CONFIG, increment_percentage=0), actor="a"),
         InvalidChange),
        (lambda a: a.pause_rollout(FLAG, actor="a"), UnknownFlag),
        (lambda a: a.stop_rollout("nope", actor="a"), UnknownFlag),
    ],
)  # fmt: skip
async def test_a_rejected_change_writes_and_announces_nothing(
    world: World, change: Change, error: type[FlagError]
) -> None:
    before = await world.state()
    with pytest.raises(error):
        await change(world.admin)
    assert await world.state() == before
    assert world.announced.revisions == []


async def test_leaving_complete_needs_force(world: World) -> None:
    await world.admin.set_stage(FLAG, Stage.COMPLETE, actor="a", force=True, reason="setup")
    with pytest.raises(InvalidChange):
        await world.admin.set_stage(FLAG, Stage.FULL, actor="a")
    state = await world.admin.set_stage(FLAG, Stage.FULL, actor="a", force=True)
    assert state.stage is Stage.FULL
    assert (await world.admin.history(FLAG, 1))[0].details == {"forced": True}


async def test_a_jump_over_stages_needs_force_and_a_reason_and_is_audited_as_forced(
    world: World,
) -> None:
    await world.admin.set_stage(FLAG, Stage.TESTING, actor="a")
    with pytest.raises(InvalidChange, match="COMPLETE skips PARTIAL, FULL"):
        await world.admin.set_stage(FLAG, Stage.COMPLETE, actor="a", reason="no force")
    state = await world.admin.set_stage(
        FLAG, Stage.COMPLETE, actor="a", force=True, reason="v4 proven elsewhere"
    )
    assert state.stage is Stage.COMPLETE
    (event,) = await world.admin.history(FLAG, 1)
    assert (event.action, event.from_stage, event.to_stage, event.reason, event.details) == (
        "SET_STAGE", Stage.TESTING, Stage.COMPLETE, "v4 proven elsewhere",
        {"forced": True, "skipped": ["PARTIAL", "FULL"]},
    )  # fmt: skip
    # Back toward DISABLED, past any number of stages, is free (COMPLETE aside).
    await world.admin.set_stage(FLAG, Stage.FULL, actor="a", force=True)
    back = await world.admin.set_stage(FLAG, Stage.DISABLED, actor="a")
    assert back.stage is Stage.DISABLED
    assert (await world.admin.history(FLAG, 1))[0].details is None


async def test_concurrent_changes_from_one_version_one_wins_one_conflicts(world: World) -> None:
    admin = world.admin
    _, count, _ = await world.state()
    outcomes = await asyncio.gather(
        admin.set_stage(FLAG, Stage.TESTING, actor="first", expected_version=1),
        admin.set_stage(
            FLAG, Stage.FULL, actor="second", expected_version=1, force=True, reason="r"
        ),
        return_exceptions=True,
    )
    won = [o for o in outcomes if not isinstance(o, BaseException)]
    lost = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(won) == 1 and len(lost) == 1
    assert isinstance(lost[0], VersionConflict)
    assert (await world.state())[1] == count + 1
    final = (await world.store.snapshot()).flags[FLAG]
    assert (final.stage, final.version) == (won[0].stage, 2)
    assert len(world.announced.revisions) == 1


async def test_rollback_disables_every_flag_but_complete_ones(world: World) -> None:
    admin = world.admin
    await admin.set_stage("api_v4_users", Stage.COMPLETE, actor="a", force=True, reason="r")
    await admin.set_stage(FLAG, Stage.PARTIAL, actor="a", force=True, reason="r")
    await admin.set_percentage(FLAG, 30, actor="a")
    changed = await admin.rollback(None, actor="a", reason="error spike")
    assert {s.name for s in changed} == set(FLAG_NAMES) - {"api_v4_users"}
    snapshot = await world.store.snapshot()
    assert snapshot.flags["api_v4_users"].stage is Stage.COMPLETE
    assert (snapshot.flags[FLAG].stage, snapshot.flags[FLAG].percentage) == (Stage.DISABLED, 0)
    assert (await admin.history(FLAG, 1))[0].reason == "error spike"
    assert world.announced.revisions[-1] == snapshot.revision  # one rollback, one announcement


async def test_user_overrides_are_set_and_cleared(world: World) -> None:
    admin = world.admin
    await admin.set_user_override(FLAG, 3, True, actor="a")
    await admin.set_user_override(FLAG, 4, False, actor="a")
    assert (await world.store.snapshot()).overrides == {FLAG: {3: True, 4: False}}
    state = await admin.set_user_override(FLAG, 3, None, actor="a")
    assert state.version == 4
    assert (await world.store.snapshot()).overrides == {FLAG: {4: False}}
    history = await admin.history(FLAG, 5)
    assert [(e.action, e.reason) for e in history] == [
        ("CLEAR_OVERRIDE", "user 3: cleared"),
        ("SET_OVERRIDE", "user 4: V3"),
        ("SET_OVERRIDE", "user 3: V4"),
    ]
    assert history[0].details == {"userId": 3, "enabled": None}
    assert await admin.user_role(1) == "ADMIN"
    assert await admin.user_role(999_999) is None


async def test_rolling_everything_back_while_flags_change_never_deadlocks(world: World) -> None:
    admin = world.admin
    for _ in range(6):
        outcomes = await asyncio.gather(
            admin.rollback(None, actor="pager", reason="drill"),
            *(admin.set_stage(name, Stage.TESTING, actor="dev") for name in FLAG_NAMES[::2]),
            admin.rollback(None, actor="pager", reason="again"),
            return_exceptions=True,
        )
        assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
