"""The write ports' contract: the SQL adapter (on both databases) and the in-memory fake
refuse the same writes with the same domain exception, and keep nothing of them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.engine import create_engine
from jewgo.db.models import ReviewRow
from jewgo.resolvers.v4.sql.adapters import SqlUnitOfWork
from tests import seeded
from tests.fakes.memory import MemoryUnitOfWork
from tests.fakes.memory_store import Store
from tests.refusals import SITUATIONS, refusal
from tests.support import Database


@pytest.fixture
async def engine(fresh_db: Database) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(fresh_db.url)
    yield engine
    await engine.dispose()


async def sql_reviews(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        counted = await connection.execute(select(func.count()).select_from(ReviewRow))
        return int(counted.scalar_one())


@pytest.mark.parametrize(("values", "expected"), SITUATIONS)
async def test_both_adapters_refuse_a_review_alike(
    engine: AsyncEngine, values: Callable[[], dict[str, Any]], expected: type[Exception]
) -> None:
    data = seeded.dataset()
    store = Store.of(data.users, data.restaurants, data.reviews)
    in_memory, stored = len(store.reviews), await sql_reviews(engine)

    fake = await refusal(lambda: MemoryUnitOfWork(store), values())
    real = await refusal(lambda: SqlUnitOfWork(engine), values())

    assert (type(fake), type(real)) == (expected, expected)
    assert (len(store.reviews), await sql_reviews(engine)) == (in_memory, stored)
