"""v3 and v4 return the same data for the same database, query by query."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests import seeded
from tests.conftest import environ_for
from tests.support import ADMIN_ID, MODERATOR_ID, USER_ID, Database, GraphQL, gateway_client

RESTAURANT_FIELDS = """id name address city state zipCode phone website kosherCategory
  certifyingAgency isCholovYisroel isPasYisroel priceRange latitude longitude status
  averageRating reviewCount distanceKm createdAt updatedAt"""
REVIEW_FIELDS = "id rating title content status createdAt updatedAt author { id name }"
USER_FIELDS = "id name email role reviewCount createdAt"


def page(fields: str) -> str:
    """The selection of a whole connection page with `fields` on each node."""
    return (
        "totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } "
        + "edges { cursor node { "
        + fields
        + " } }"
    )


NESTED = RESTAURANT_FIELDS + " reviews(first: 3) { " + page(REVIEW_FIELDS) + " }"
LIST = (
    "query($filter: RestaurantFilter, $orderBy: RestaurantOrder!, $first: Int!, $after: String)"
    " { restaurants(filter: $filter, orderBy: $orderBy, first: $first, after: $after) { "
    + page(NESTED)
    + " } }"
)
teaneck = {"latitude": 40.8976, "longitude": -74.016, "radiusKm": 25}

RESTAURANT_LISTS: list[dict[str, Any]] = [
    {"orderBy": "NAME", "first": 25},
    {"orderBy": "RATING", "first": 40},
    {"orderBy": "NEWEST", "first": 15},
    {"orderBy": "DISTANCE", "first": 30, "filter": {"near": teaneck}},
    {"orderBy": "RATING", "first": 20, "filter": {"near": teaneck, "minRating": 3}},
    {"orderBy": "NAME", "first": 50, "filter": {"search": "grill", "state": "NY"}},
    {"orderBy": "NAME", "first": 10, "filter": {"kosherCategory": "PAREVE", "isPasYisroel": True}},
    {"orderBy": "NEWEST", "first": 10, "filter": {"status": "CLOSED"}},
    {"orderBy": "NAME", "first": 10, "filter": {"certifyingAgency": "star-k", "city": "Baltimore"}},
    {"orderBy": "NAME", "first": 5, "filter": {"search": "%"}},
]


def reviews(arguments: str, extra: str = "") -> str:
    return "{ reviews(" + arguments + ") { " + page(REVIEW_FIELDS + extra) + " } }"


def users(arguments: str) -> str:
    return "{ users(" + arguments + ") { " + page(USER_FIELDS) + " } }"


STATISTICS = """{ statistics { totalRestaurants activeRestaurants totalReviews approvedReviews
  totalUsers averageRating restaurantsByCategory { category count }
  restaurantsByState { state count } restaurantsByAgency { agency count } } }"""
ONE_RESTAURANT = (
    "query($id: ID!) { restaurant(id: $id) { "
    + RESTAURANT_FIELDS
    + " reviews(first: 100) { "
    + page(REVIEW_FIELDS)
    + " } } }"
)
BUSIEST = {"id": str(seeded.busiest_restaurant())}

SINGLE_QUERIES: list[tuple[str, dict[str, Any], int | None]] = [
    (STATISTICS, {}, None),
    (ONE_RESTAURANT, BUSIEST, None),
    ("query($id: ID!) { restaurant(id: $id) { id } }", {"id": "424242"}, None),
    (reviews("first: 30", " restaurant { id name }"), {}, None),
    (reviews("first: 30, filter: {status: PENDING}"), {}, MODERATOR_ID),
    (reviews("first: 30, filter: {status: REJECTED}"), {}, USER_ID),
    (reviews("first: 30, filter: {status: PENDING}"), {}, None),
    (reviews('first: 30, filter: {authorId: "5", minRating: 3}'), {}, None),
    (users("first: 15"), {}, ADMIN_ID),
    (users('first: 15, filter: {search: "cohen", role: USER}'), {}, ADMIN_ID),
    ("{ me { " + USER_FIELDS + " } }", {}, USER_ID),
    ("query($id: ID!) { review(id: $id) { " + REVIEW_FIELDS + " } }", {"id": "3"}, None),
    ("{ users(first: 1) { totalCount } }", {}, USER_ID),
    ('{ reviews(filter: {status: PENDING}, after: "zzz") { totalCount } }', {}, None),
    ('{ reviews(first: 5, after: "zzz") { totalCount } }', {}, MODERATOR_ID),
]


async def pair(database: Database, data_dir: Path) -> AsyncIterator[tuple[GraphQL, GraphQL]]:
    async with (
        gateway_client(database, data_dir, environ_for("v3"), "v3") as v3,
        gateway_client(database, data_dir, environ_for("v4"), "v4") as v4,
    ):
        yield v3, v4


@pytest.fixture
async def versions(shared_db: Database, data_dir: Path) -> AsyncIterator[tuple[GraphQL, GraphQL]]:
    async for clients in pair(shared_db, data_dir):
        yield clients


def same(a: Any, b: Any) -> None:
    assert a.body.get("data") == b.body.get("data")
    assert a.codes == b.codes


@pytest.mark.parametrize("variables", RESTAURANT_LISTS, ids=lambda v: str(v)[:60])
async def test_restaurant_lists_match_page_after_page(
    versions: tuple[GraphQL, GraphQL], variables: dict[str, Any]
) -> None:
    v3, v4 = versions
    after = None
    for _ in range(3):
        asked = {**variables, "after": after}
        old, new = await v3(LIST, asked), await v4(LIST, asked)
        same(old, new)
        page = old.ok()["restaurants"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]


@pytest.mark.parametrize(
    ("query", "variables", "as_user"), SINGLE_QUERIES, ids=lambda v: str(v)[:50]
)
async def test_queries_match(
    versions: tuple[GraphQL, GraphQL], query: str, variables: dict[str, Any], as_user: int | None
) -> None:
    v3, v4 = versions
    same(await v3(query, variables, as_user=as_user), await v4(query, variables, as_user=as_user))


MODERATE_TWICE = """mutation($a: ID!, $b: ID!) {
  a: moderateReview(id: $a, status: APPROVED) { restaurant { reviewCount averageRating
       reviews { totalCount edges { node { id } } } } author { name } }
  b: moderateReview(id: $b, status: APPROVED) { restaurant { reviewCount averageRating
       reviews { totalCount edges { node { id } } } } author { name } }
}"""


async def test_a_mutation_reads_its_own_earlier_writes_on_both_versions(
    fresh_db: Database, data_dir: Path
) -> None:
    pending = [v for v in seeded.dataset().reviews if v["status"] == "PENDING"]
    restaurant = next(
        r for r in {v["restaurant_id"] for v in pending}
        if sum(v["restaurant_id"] == r for v in pending) >= 4
    )  # fmt: skip
    ids = [str(v["id"]) for v in pending if v["restaurant_id"] == restaurant][:4]
    async for v3, v4 in pair(fresh_db, data_dir):
        old = await v3(MODERATE_TWICE, {"a": ids[0], "b": ids[1]}, as_user=MODERATOR_ID)
        new = await v4(MODERATE_TWICE, {"a": ids[2], "b": ids[3]}, as_user=MODERATOR_ID)
        for reply in (old, new):
            first, second = reply.ok()["a"]["restaurant"], reply.ok()["b"]["restaurant"]
            assert second["reviewCount"] == first["reviewCount"] + 1
            assert second["reviews"]["totalCount"] == first["reviews"]["totalCount"] + 1


async def test_writes_through_either_version_read_the_same(
    fresh_db: Database, data_dir: Path
) -> None:
    async for v3, v4 in pair(fresh_db, data_dir):
        created = await v4(
            'mutation { createRestaurant(input: {name: "Equal Eats", kosherCategory: MEAT, '
            'city: "Monsey", latitude: 41.11, longitude: -74.06}) { id } }',
            as_user=ADMIN_ID,
        )
        new_id = created.ok()["createRestaurant"]["id"]
        review = await v3(
            "mutation($id: ID!) { createReview(input: {restaurantId: $id, rating: 4, "
            'content: "Same on both"}) { id } }',
            {"id": new_id},
            as_user=USER_ID,
        )
        review_id = review.ok()["createReview"]["id"]
        (
            await v4(
                "mutation($id: ID!) { moderateReview(id: $id, status: APPROVED) { id } }",
                {"id": review_id},
                as_user=MODERATOR_ID,
            )
        ).ok()
        old, new = (
            await v3(ONE_RESTAURANT, {"id": new_id}),
            await v4(ONE_RESTAURANT, {"id": new_id}),
        )
        same(old, new)
        assert old.ok()["restaurant"]["averageRating"] == 4.0
