"""The console's fleet watch on a real database: one reader however many consoles follow
it, a wake for each change that lands (whoever made it), nothing read with none open."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.engine import create_engine
from jewgo.gateway.console.watch import Watch
from tests.support import Database, eventually


async def answer(value: bool) -> bool:
    return value


@pytest.fixture
async def engine(fresh_db: Database) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(fresh_db.url)
    yield engine
    await engine.dispose()


async def bump(engine: AsyncEngine, statement: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(text(statement))


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE flag_state SET revision = revision + 1",
        "UPDATE users SET role = 'USER' WHERE id = 2",
    ],
)
async def test_every_follower_wakes_once_for_a_change_made_anywhere(
    engine: AsyncEngine, change: str
) -> None:
    watch = Watch(engine, interval_seconds=0.02)
    first = watch.follow(heartbeat_seconds=30)
    second = watch.follow(heartbeat_seconds=30)
    waiting = [asyncio.ensure_future(anext(first)), asyncio.ensure_future(anext(second))]
    await eventually(lambda: answer(watch.reads > 0))  # read before the change
    assert not any(w.done() for w in waiting)
    await bump(engine, change)
    async with asyncio.timeout(5):
        assert await asyncio.gather(*waiting) == [True, True]
    await watch.close()
    for follower in (first, second):
        with pytest.raises(StopAsyncIteration):
            await anext(follower)


async def test_a_quiet_fleet_gives_heartbeats_and_no_follower_no_reads(
    engine: AsyncEngine,
) -> None:
    watch = Watch(engine, interval_seconds=0.02)
    follower = watch.follow(heartbeat_seconds=0.05)
    assert await anext(follower) is False
    assert watch.reading
    await follower.aclose()
    await eventually(lambda: answer(not watch.reading))  # it stops reading by itself
    await watch.close()
