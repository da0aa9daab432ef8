"""Migrations run on SQLite and PostgreSQL, down and up again, and match the models."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db import migrate
from jewgo.db.engine import create_engine
from jewgo.db.geo import distance_km
from jewgo.db.models import Base
from tests.conftest import Templates


@pytest.fixture(params=["sqlite", "postgres"])
async def empty_engine(
    request: pytest.FixtureRequest, templates: Templates, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
        yield engine
        await engine.dispose()
        return
    server = await templates.server()
    name = await server.create()
    engine = create_engine(server.url(name))
    yield engine
    await engine.dispose()
    await server.drop(name)


def differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_the_newest_migration_matches_the_models(empty_engine: AsyncEngine) -> None:
    assert await migrate.pending(empty_engine)
    await migrate.upgrade(empty_engine)
    assert not await migrate.pending(empty_engine)
    async with empty_engine.connect() as conn:
        assert await conn.run_sync(differences) == []
    assert {"users", "restaurants", "reviews"} <= await tables(empty_engine)


async def test_migrations_go_down_and_up_again(empty_engine: AsyncEngine) -> None:
    await migrate.upgrade(empty_engine)
    await migrate.downgrade(empty_engine, "base")
    assert await tables(empty_engine) <= {"alembic_version"}
    await migrate.upgrade(empty_engine)
    assert {"users", "restaurants", "reviews"} <= await tables(empty_engine)


async def test_distance_is_computed_in_the_database(empty_engine: AsyncEngine) -> None:
    await migrate.upgrade(empty_engine)
    async with empty_engine.connect() as conn:
        teaneck_to_passaic = await conn.scalar(
            text("SELECT distance_km(40.8976, -74.0160, 40.8568, -74.1285)")
        )
        missing = await conn.scalar(text("SELECT distance_km(40.8976, -74.0160, NULL, 1.0)"))
    # The same haversine as Python's, about 10.5 km between the two towns.
    assert teaneck_to_passaic == pytest.approx(distance_km(40.8976, -74.0160, 40.8568, -74.1285))
    assert teaneck_to_passaic == pytest.approx(10.49, abs=0.01)
    assert missing is None
