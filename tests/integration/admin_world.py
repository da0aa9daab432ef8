"""The admin's world for the integration tests: a database, the stores, and an admin
whose announcements are recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.engine import create_engine
from jewgo.flags.admin.changes import FlagAdmin
from jewgo.flags.admin.users import user_role_query
from jewgo.flags.rollouts.model import RolloutConfig
from jewgo.flags.rollouts.store import RolloutStore
from jewgo.flags.snapshot import Snapshot
from jewgo.flags.store import FlagStore
from tests.support import Database

FLAG = "api_v4_reviews"
CONFIG = RolloutConfig(initial_percentage=20, increment_percentage=40)


class Announcer:
    """Stands in for the propagation's `changed()`: the revision committed at each call."""

    def __init__(self, store: FlagStore) -> None:
        self._store = store
        self.revisions: list[int] = []

    async def __call__(self) -> None:
        # Read on a connection of its own: it sees only what has been committed.
        self.revisions.append(await self._store.revision())


@dataclass
class World:
    engine: AsyncEngine
    store: FlagStore
    rollouts: RolloutStore
    admin: FlagAdmin
    announced: Announcer

    async def state(self) -> tuple[Snapshot, int, list[tuple[Any, ...]]]:
        """Everything a change could write: the flags, the audit log and the rollouts."""
        async with self.engine.connect() as conn:
            events = int(await conn.scalar(text("SELECT COUNT(*) FROM flag_events")) or 0)
            rows = await conn.execute(text("SELECT * FROM rollouts ORDER BY id"))
            rollouts = [tuple(row) for row in rows]
        return await self.store.snapshot(), events, rollouts


@asynccontextmanager
async def world_on(database: Database) -> AsyncIterator[World]:
    engine = create_engine(database.url)
    store = FlagStore(engine)
    rollouts = RolloutStore(store)
    announced = Announcer(store)
    admin = FlagAdmin(store, rollouts, changed=announced, user_role=user_role_query(engine))
    try:
        yield World(engine, store, rollouts, admin, announced)
    finally:
        await engine.dispose()
