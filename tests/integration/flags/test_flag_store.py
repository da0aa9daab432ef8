"""The flag store on SQLite and PostgreSQL: it persists, under version checks, and keeps
an audit log nobody can rewrite. (What may change is the admin's: test_flag_admin.py.)"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.engine import create_engine
from jewgo.flags.errors import UnknownFlag, VersionConflict
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


async def test_a_write_in_a_change_bumps_version_and_revision_and_appends_an_event(
    store: FlagStore,
) -> None:
    before = await store.snapshot()
    async with store.change() as conn:
        flag = await store.locked(conn, FLAG)
        state = await store.write(
            conn, flag, actor="user:1", action="SET_STAGE", stage=Stage.PARTIAL, reason="canary"
        )
    assert (state.stage, state.percentage, state.version) == (Stage.PARTIAL, 0.0, 2)
    after = await store.snapshot()
    assert after.flags[FLAG] == state
    assert after.revision == before.revision + 1 == await store.revision()
    (event,) = await store.history(FLAG, 10)
    assert (event.action, event.actor, event.from_stage, event.to_stage, event.reason) == (
        "SET_STAGE",
        "user:1",
        Stage.DISABLED,
        Stage.PARTIAL,
        "canary",
    )


async def test_a_write_from_a_stale_reading_conflicts_and_writes_nothing(
    store: FlagStore, engine: AsyncEngine
) -> None:
    stale = (await store.snapshot()).flags[FLAG]
    async with store.change() as conn:
        await store.write(conn, await store.locked(conn, FLAG), actor="a", action="SET_STAGE")
    before, count = await store.snapshot(), await events(engine)
    with pytest.raises(VersionConflict):
        async with store.change() as conn:
            await store.write(conn, stale, actor="b", action="SET_STAGE", stage=Stage.FULL)
    assert await store.snapshot() == before
    assert await events(engine) == count


async def test_no_such_flag_is_not_found(store: FlagStore) -> None:
    with pytest.raises(UnknownFlag):
        async with store.change() as conn:
            await store.locked(conn, "api_v5_everything")


async def test_a_note_in_a_plain_transaction_leaves_flag_and_revision(store: FlagStore) -> None:
    before = await store.snapshot()
    async with store.transaction() as conn:
        flag = await store.locked(conn, FLAG)
        await store.note(conn, flag, actor="a", action="ROLLOUT_PAUSED", reason="paused by a")
    assert await store.snapshot() == before
    (event,) = await store.history(FLAG, 10)
    assert (event.action, event.from_stage, event.to_stage) == (
        "ROLLOUT_PAUSED",
        Stage.DISABLED,
        Stage.DISABLED,
    )


async def test_overrides_are_put_and_removed(store: FlagStore) -> None:
    async with store.change() as conn:
        await store.put_override(conn, FLAG, 3, True, actor="a")
        await store.put_override(conn, FLAG, 4, True, actor="a")
        await store.put_override(conn, FLAG, 4, False, actor="a")
    assert (await store.snapshot()).overrides == {FLAG: {3: True, 4: False}}
    async with store.change() as conn:
        await store.put_override(conn, FLAG, 3, None, actor="a")
    assert (await store.snapshot()).overrides == {FLAG: {4: False}}


async def test_the_audit_log_is_append_only(store: FlagStore, engine: AsyncEngine) -> None:
    async with store.change() as conn:
        flag = await store.locked(conn, FLAG)
        await store.write(conn, flag, actor="a", action="SET_STAGE", stage=Stage.TESTING)
    for statement in ("UPDATE flag_events SET actor = 'mallory'", "DELETE FROM flag_events"):
        with pytest.raises(DBAPIError):
            async with engine.begin() as conn:
                await conn.execute(text(statement))
    assert (await store.history(FLAG, 1))[0].actor == "a"
