"""Propagation never puts Redis on the critical path."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.engine import create_engine
from jewgo.flags.admin.changes import FlagAdmin
from jewgo.flags.admin.sync import Flags
from jewgo.flags.admin.users import user_role_query
from jewgo.flags.rollouts.store import RolloutStore
from jewgo.flags.stages import Stage
from jewgo.flags.store import FlagStore
from tests.support import Database, free_port


@pytest.fixture
async def engine(fresh_db: Database) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(fresh_db.url)
    yield engine
    await engine.dispose()


async def test_changes_apply_locally_when_redis_is_unreachable(engine: AsyncEngine) -> None:
    dead = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.2)
    store = FlagStore(engine)
    flags = Flags(store, redis=dead, poll_seconds=0.2)
    admin = FlagAdmin(
        store, RolloutStore(store), changed=flags.changed, user_role=user_role_query(engine)
    )
    started = time.monotonic()
    await flags.start()
    try:
        state = await admin.set_stage("api_v4_cache", Stage.TESTING, actor="test")
        assert flags.snapshot.flags["api_v4_cache"].stage is Stage.TESTING
        assert state.version == 2
        assert time.monotonic() - started < 2.0
    finally:
        await flags.stop()
        await dead.aclose()


async def test_the_poll_finds_a_change_made_elsewhere(engine: AsyncEngine) -> None:
    flags = Flags(FlagStore(engine), poll_seconds=0.1)
    elsewhere = FlagStore(engine)

    async def unannounced() -> None:
        return None

    admin = FlagAdmin(
        elsewhere, RolloutStore(elsewhere), changed=unannounced, user_role=user_role_query(engine)
    )
    await flags.start()
    try:
        await admin.set_stage("api_v4_users", Stage.TESTING, actor="elsewhere")
        for _ in range(50):
            if flags.snapshot.flags["api_v4_users"].stage is Stage.TESTING:
                break
            await asyncio.sleep(0.05)
        assert flags.snapshot.flags["api_v4_users"].stage is Stage.TESTING
        assert flags.age_seconds < 1.0
    finally:
        await flags.stop()
