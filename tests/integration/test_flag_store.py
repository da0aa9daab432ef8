"""The flag store on SQLite and PostgreSQL: versions, audit, and nothing from a rejection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.engine import create_engine
from jewgo.flags.errors import FlagError, InvalidChange, UnknownFlag, VersionConflict
from jewgo.flags.stages import FLAG_NAMES, Stage
from jewgo.flags.store import FlagStore
from tests.support import Database

FLAG = "api_v4_reviews"


@pytest.fixture
async def engine(fresh_db: Database) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(fresh_db.url)
    yield engine
    await engine.dispose()


@pytest.fixture
def store(engine: AsyncEngine) -> FlagStore:
    return FlagStore(engine)


async def events(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text("SELECT COUNT(*) FROM flag_events")) or 0)


async def test_the_migration_creates_the_eight_flags_disabled(store: FlagStore) -> None:
    snapshot = await store.snapshot()
    assert set(snapshot.flags) == set(FLAG_NAMES)
    assert {(s.stage, s.percentage, s.version) for s in snapshot.flags.values()} == {
        (Stage.DISABLED, 0.0, 1)
    }
    assert len(snapshot.salt) == 32
    assert snapshot.overrides == {}


async def test_a_change_bumps_version_and_revision_and_is_audited(
    store: FlagStore, engine: AsyncEngine
) -> None:
    before = await store.snapshot()
    state = await store.set_stage(FLAG, Stage.PARTIAL, actor="user:1", reason="canary")
    assert (state.stage, state.version, state.updated_by) == (Stage.PARTIAL, 2, "user:1")
    state = await store.set_percentage(FLAG, 12.5, actor="user:1", expected_version=2)
    assert (state.percentage, state.version) == (12.5, 3)
    after = await store.snapshot()
    assert after.revision == before.revision + 2
    assert await store.revision() == after.revision
    history = await store.history(FLAG, 10)
    assert [(e.action, e.from_stage, e.to_stage, e.to_percentage) for e in history] == [
        ("SET_PERCENTAGE", Stage.PARTIAL, Stage.PARTIAL, 12.5),
        ("SET_STAGE", Stage.DISABLED, Stage.PARTIAL, 0.0),
    ]
    assert history[1].reason == "canary"
    assert history[0].at >= history[1].at


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda s: s.set_stage("api_v5_everything", Stage.FULL, actor="a"), UnknownFlag),
        (lambda s: s.set_percentage(FLAG, 100.5, actor="a"), InvalidChange),
        (lambda s: s.set_percentage(FLAG, -1, actor="a"), InvalidChange),
        (lambda s: s.set_stage(FLAG, Stage.FULL, actor="a", expected_version=7), VersionConflict),
        (lambda s: s.set_user_override(FLAG, 999_999, True, actor="a"), InvalidChange),
        (lambda s: s.rollback("nope", actor="a", reason="r"), UnknownFlag),
    ],
)
async def test_a_rejected_change_writes_nothing(
    store: FlagStore, engine: AsyncEngine, change: object, error: type[FlagError]
) -> None:
    assert callable(change)
    before, count = await store.snapshot(), await events(engine)
    with pytest.raises(error):
        await change(store)
    assert await store.snapshot() == before
    assert await events(engine) == count


async def test_leaving_complete_needs_force(store: FlagStore) -> None:
    await store.set_stage(FLAG, Stage.COMPLETE, actor="a")
    with pytest.raises(InvalidChange):
        await store.set_stage(FLAG, Stage.FULL, actor="a")
    state = await store.set_stage(FLAG, Stage.FULL, actor="a", force=True)
    assert state.stage is Stage.FULL


async def test_concurrent_changes_from_one_version_one_wins_one_conflicts(
    store: FlagStore, engine: AsyncEngine
) -> None:
    count = await events(engine)
    outcomes = await asyncio.gather(
        store.set_stage(FLAG, Stage.TESTING, actor="first", expected_version=1),
        store.set_stage(FLAG, Stage.FULL, actor="second", expected_version=1),
        return_exceptions=True,
    )
    won = [o for o in outcomes if not isinstance(o, BaseException)]
    lost = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(won) == 1 and len(lost) == 1
    assert isinstance(lost[0], VersionConflict)
    assert await events(engine) == count + 1
    final = (await store.snapshot()).flags[FLAG]
    assert (final.stage, final.version) == (won[0].stage, 2)


async def test_rollback_disables_every_flag_but_complete_ones(store: FlagStore) -> None:
    await store.set_stage("api_v4_users", Stage.COMPLETE, actor="a")
    await store.set_stage(FLAG, Stage.PARTIAL, actor="a")
    await store.set_percentage(FLAG, 30, actor="a")
    changed = await store.rollback(None, actor="a", reason="error spike")
    assert {s.name for s in changed} == set(FLAG_NAMES) - {"api_v4_users"}
    snapshot = await store.snapshot()
    assert snapshot.flags["api_v4_users"].stage is Stage.COMPLETE
    assert (snapshot.flags[FLAG].stage, snapshot.flags[FLAG].percentage) == (Stage.DISABLED, 0)
    assert (await store.history(FLAG, 1))[0].reason == "error spike"


async def test_user_overrides_are_set_and_cleared(store: FlagStore) -> None:
    await store.set_user_override(FLAG, 3, True, actor="a")
    await store.set_user_override(FLAG, 4, False, actor="a")
    assert (await store.snapshot()).overrides == {FLAG: {3: True, 4: False}}
    state = await store.set_user_override(FLAG, 3, None, actor="a")
    assert state.version == 4
    assert (await store.snapshot()).overrides == {FLAG: {4: False}}
    assert [e.action for e in await store.history(FLAG, 5)] == [
        "CLEAR_OVERRIDE",
        "SET_OVERRIDE",
        "SET_OVERRIDE",
    ]


async def test_the_audit_log_is_append_only(store: FlagStore, engine: AsyncEngine) -> None:
    await store.set_stage(FLAG, Stage.TESTING, actor="a")
    for statement in ("UPDATE flag_events SET actor = 'mallory'", "DELETE FROM flag_events"):
        with pytest.raises(DBAPIError):
            async with engine.begin() as conn:
                await conn.execute(text(statement))
    assert (await store.history(FLAG, 1))[0].actor == "a"


async def test_rolling_everything_back_while_flags_change_never_deadlocks(
    store: FlagStore,
) -> None:
    for _ in range(6):
        outcomes = await asyncio.gather(
            store.rollback(None, actor="pager", reason="drill"),
            *(store.set_stage(name, Stage.TESTING, actor="dev") for name in FLAG_NAMES[::2]),
            store.rollback(None, actor="pager", reason="again"),
            return_exceptions=True,
        )
        assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
