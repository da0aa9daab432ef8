"""Real integrity errors of both databases, through SQLAlchemy and the drivers we ship,
classified by `db.integrity` the same way."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.engine import create_engine
from jewgo.db.integrity import Violation, violation
from jewgo.db.models import ReviewRow
from tests import seeded
from tests.support import Database

STAMP = datetime(2024, 5, 1, 12, tzinfo=UTC)


@pytest.fixture
async def engine(fresh_db: Database) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(fresh_db.url)
    yield engine
    await engine.dispose()


def review(**changes: Any) -> dict[str, Any]:
    first = seeded.dataset().reviews[0]
    other_author = next(u["id"] for u in seeded.dataset().users if u["id"] != first["author_id"])
    values = {
        "restaurant_id": first["restaurant_id"],
        "author_id": other_author,
        "rating": 4,
        "content": "Fine",
        "status": "PENDING",
        "created_at": STAMP,
        "updated_at": STAMP,
    }
    return values | changes


def _duplicate() -> dict[str, Any]:
    return review(author_id=seeded.dataset().reviews[0]["author_id"])


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(_duplicate, Violation.UNIQUE, id="unique"),
        pytest.param(lambda: review(restaurant_id=10**6), Violation.FOREIGN_KEY, id="foreign key"),
        pytest.param(lambda: review(rating=9), Violation.CHECK, id="check"),
        pytest.param(lambda: review(content=None), Violation.NOT_NULL, id="not null"),
    ],
)
async def test_each_database_names_the_broken_constraint_alike(
    engine: AsyncEngine, values: Any, expected: Violation
) -> None:
    async with engine.connect() as connection:
        with pytest.raises(IntegrityError) as raised:
            await connection.execute(insert(ReviewRow).values(**values()))
        await connection.rollback()
    assert violation(raised.value) is expected
