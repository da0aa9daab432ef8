"""The repository contract: the SQL repositories (on both databases) and the in-memory
fakes give the same answers, so unit tests on fakes speak for production."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from jewgo.db.engine import create_engine
from jewgo.db.session import RequestDatabase
from jewgo.resolvers.domain import (
    KosherCategory,
    Near,
    Restaurant,
    RestaurantFilter,
    RestaurantOrder,
    RestaurantStatus,
    ReviewStatus,
    Role,
    UserFilter,
)
from jewgo.resolvers.pagination import restaurant_key
from jewgo.resolvers.v4.reads import Reads, ReviewQuery
from jewgo.resolvers.v4.sql.adapters import SqlReads
from tests import seeded
from tests.fakes.memory import MemoryReads
from tests.fakes.memory_store import Store
from tests.support import Database


@pytest.fixture
async def sql(shared_db: Database) -> AsyncIterator[Reads]:
    engine = create_engine(shared_db.url)
    db = RequestDatabase(engine)
    yield SqlReads(db.reads)
    await db.close()
    await engine.dispose()


@pytest.fixture(scope="session")
def memory() -> Reads:
    data = seeded.dataset()
    return MemoryReads(Store.of(data.users, data.restaurants, data.reviews))


NEAR_BALTIMORE = Near(39.364, -76.709, 15)
FILTERS = [
    RestaurantFilter(),
    RestaurantFilter(status=RestaurantStatus.CLOSED),
    RestaurantFilter(kosher_category=KosherCategory.DAIRY, is_cholov_yisroel=True),
    RestaurantFilter(search="Grill", min_rating=3.5),
    RestaurantFilter(certifying_agency="ou", state="fl"),
    RestaurantFilter(near=NEAR_BALTIMORE),
    RestaurantFilter(search="_"),
]


def comparable(found: list[Restaurant]) -> list[tuple[Restaurant, float | None]]:
    """Restaurants with their distance to 1 mm: SQL and Python trigonometry may differ in
    the last bit."""
    return [
        (replace(r, distance_km=None), None if r.distance_km is None else round(r.distance_km, 6))
        for r in found
    ]


@pytest.mark.parametrize("where", FILTERS, ids=repr)
@pytest.mark.parametrize("order", [o for o in RestaurantOrder if o is not RestaurantOrder.DISTANCE])
async def test_restaurant_pages_agree(
    sql: Reads, memory: Reads, where: RestaurantFilter, order: RestaurantOrder
) -> None:
    expected = await memory.restaurants.page(where, order, None, 30)
    found = await sql.restaurants.page(where, order, None, 30)
    assert comparable(found) == comparable(expected)
    assert await sql.restaurants.count(where) == await memory.restaurants.count(where)
    if len(expected) > 10:
        after = restaurant_key(found[9], order)
        following = await sql.restaurants.page(where, order, after, 5)
        assert comparable(following) == comparable(expected[10:15])
        after = restaurant_key(expected[9], order)
        assert await memory.restaurants.page(where, order, after, 5) == expected[10:15]


async def test_distance_pages_agree(sql: Reads, memory: Reads) -> None:
    where = RestaurantFilter(near=NEAR_BALTIMORE)
    found = await sql.restaurants.page(where, RestaurantOrder.DISTANCE, None, 100)
    expected = await memory.restaurants.page(where, RestaurantOrder.DISTANCE, None, 100)
    assert [r.id for r in found] == [r.id for r in expected]
    for got, want in zip(found, expected, strict=True):
        assert got.distance_km == pytest.approx(want.distance_km, rel=1e-12)


@pytest.mark.parametrize(
    "query",
    [
        ReviewQuery(ReviewStatus.APPROVED),
        ReviewQuery(ReviewStatus.PENDING, author_id=3),
        ReviewQuery(ReviewStatus.APPROVED, restaurant_id=seeded.busiest_restaurant(), min_rating=4),
    ],
    ids=repr,
)
async def test_review_pages_agree(sql: Reads, memory: Reads, query: ReviewQuery) -> None:
    expected = await memory.reviews.page(query, None, 25)
    assert await sql.reviews.page(query, None, 25) == expected
    assert await sql.reviews.count(query) == await memory.reviews.count(query)
    if len(expected) > 5:
        after = (expected[4].created_at, expected[4].id)
        assert await sql.reviews.page(query, after, 3) == expected[5:8]


async def test_review_heads_agree(sql: Reads, memory: Reads) -> None:
    ids = [seeded.busiest_restaurant(), 1, 2, 3, 10**6]
    assert await sql.reviews.approved_heads(ids, 4) == await memory.reviews.approved_heads(ids, 4)


@pytest.mark.parametrize(
    "where", [UserFilter(), UserFilter(role=Role.USER, search="LEVY"), UserFilter(search="%")]
)
async def test_user_pages_agree(sql: Reads, memory: Reads, where: UserFilter) -> None:
    assert await sql.users.page(where, None, 50) == await memory.users.page(where, None, 50)
    assert await sql.users.count(where) == await memory.users.count(where)


async def test_lookups_agree(sql: Reads, memory: Reads) -> None:
    ids: list[Any] = [1, 2, 3, 999_999]
    assert await sql.restaurants.by_ids(ids) == await memory.restaurants.by_ids(ids)
    assert await sql.users.authors(ids) == await memory.users.authors(ids)
    assert await sql.users.by_id(3) == await memory.users.by_id(3)
    assert await sql.reviews.by_id(5) == await memory.reviews.by_id(5)
    assert await sql.statistics.summary() == await memory.statistics.summary()
