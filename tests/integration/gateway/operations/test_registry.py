"""The operation registry on SQLite and PostgreSQL: runs counted in memory and flushed,
and nothing a caller sends grows it without bound."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.engine import create_engine
from jewgo.gateway.operations.registry import OperationRegistry, document_hash
from tests.support import Database


@pytest.fixture
async def engine(fresh_db: Database) -> AsyncIterator[AsyncEngine]:
    created = create_engine(fresh_db.url)
    yield created
    await created.dispose()


async def test_runs_are_counted_and_flushed_once_per_document(engine: AsyncEngine) -> None:
    registry = OperationRegistry(engine)
    for _ in range(3):
        registry.seen("{ a }", None, "query")
    registry.seen("query B { b }", "B", "query")
    await registry.flush()
    registry.seen("{ a }", None, "query")
    await registry.flush()
    counts = {op.document: op.count for op in await registry.listing(10)}
    assert counts == {"{ a }": 4, "query B { b }": 1}


async def test_a_document_past_the_bound_is_not_recorded(engine: AsyncEngine) -> None:
    registry = OperationRegistry(engine, max_document_characters=300)
    assert registry.seen("{ " + "a " * 200 + "}", None, "query") is None
    await registry.flush()
    assert await registry.listing(10) == []


async def test_a_full_registry_takes_no_new_documents_but_counts_known_ones(
    engine: AsyncEngine,
) -> None:
    registry = OperationRegistry(engine, max_operations=10)
    for n in range(15):
        registry.seen(f"{{ a{n} }}", None, "query")
    await registry.flush()
    assert len(await registry.listing(100)) == 10
    kept = (await registry.listing(1))[0]
    registry.seen(kept.document, None, "query")
    registry.seen("{ brand_new }", None, "query")
    await registry.flush()
    assert (await registry.get(kept.hash)).count == 2  # type: ignore[union-attr]
    assert await registry.get(document_hash("{ brand_new }")) is None
