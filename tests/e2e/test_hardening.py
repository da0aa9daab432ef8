"""Hostile input meets limits: depth, aliases, tokens, batches, body size, rate."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from graphql import get_introspection_query

from tests.support import ADMIN_ID, USER_ID, Database, GraphQL, gateway_client


@pytest.fixture
async def gql(shared_db: Database, data_dir: Path) -> AsyncIterator[GraphQL]:
    async with gateway_client(shared_db, data_dir, {}) as client:
        yield client


CYCLE = [
    ("restaurant", "Restaurant"),
    ("reviews(first: 1)", "ReviewConnection"),
    ("edges", "ReviewEdge"),
    ("node", "Review"),
]
LEAF = {
    "Review": "id",
    "Restaurant": "id",
    "ReviewConnection": "totalCount",
    "ReviewEdge": "cursor",
}


def nested(depth: int) -> str:
    """A valid query exactly `depth` fields deep: review > restaurant > reviews > ..."""
    path = [('review(id: "1")', "Review")]
    while len(path) < depth - 1:
        path.append(CYCLE[(len(path) - 1) % len(CYCLE)])
    query = LEAF[path[-1][1]]
    for field, _ in reversed(path):
        query = f"{field} {{ {query} }}"
    return "{ " + query + " }"


def depth_of(query: str) -> int:
    from graphql import parse

    from jewgo.schema.extensions.limits import measure

    return measure(parse(query))[0]


@pytest.mark.parametrize(("depth", "allowed"), [(10, True), (11, False), (40, False)])
async def test_query_depth_is_limited(gql: GraphQL, depth: int, allowed: bool) -> None:
    query = nested(depth)
    assert depth_of(query) == depth
    reply = await gql(query)
    if allowed:
        assert "QUERY_TOO_COMPLEX" not in reply.codes
    else:
        assert reply.codes == ["QUERY_TOO_COMPLEX"]
        assert reply.data is None


async def test_graphiqls_introspection_is_not_too_deep(gql: GraphQL) -> None:
    reply = await gql(get_introspection_query())
    assert reply.ok()["__schema"]["queryType"]["name"] == "Query"


@pytest.mark.parametrize(("aliases", "allowed"), [(30, True), (31, False)])
async def test_aliases_are_limited(gql: GraphQL, aliases: int, allowed: bool) -> None:
    query = "{ " + " ".join(f"a{n}: statistics {{ totalUsers }}" for n in range(aliases)) + " }"
    reply = await gql(query)
    assert (reply.codes == []) is allowed
    if not allowed:
        assert reply.codes == ["QUERY_TOO_COMPLEX"]


async def test_a_document_with_too_many_tokens_is_refused_unparsed(gql: GraphQL) -> None:
    query = "{ statistics { " + "totalUsers " * 2500 + "} }"
    reply = await gql(query)
    assert reply.codes == ["QUERY_TOO_COMPLEX"]
    assert "2000 tokens" in reply.errors[0]["message"]


async def test_batches_are_allowed_up_to_the_limit(gql: GraphQL) -> None:
    operation = {"query": "{ statistics { totalUsers } }"}
    response = await gql.http.post("/graphql", json=[operation] * 3)
    assert response.status_code == 200
    assert [r["data"]["statistics"]["totalUsers"] > 0 for r in response.json()] == [True] * 3
    too_many = await gql.http.post("/graphql", json=[operation] * 11)
    assert too_many.status_code == 400
    assert too_many.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_a_body_too_large_is_413_declared_or_streamed(gql: GraphQL) -> None:
    big = json.dumps({"query": "{ statistics { totalUsers } }", "pad": "x" * 1_200_000})
    response = await gql.http.post(
        "/graphql", content=big, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert response.headers["x-request-id"]

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536].encode()

    streamed = await gql.http.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413


async def test_graphiql_can_be_switched_off(shared_db: Database, data_dir: Path) -> None:
    async with gateway_client(shared_db, data_dir, {}, graphiql=False) as closed:
        page = await closed.http.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 404
        assert (await closed("{ statistics { totalUsers } }")).ok()


async def limited_requests(gql: GraphQL, count: int, **kwargs: Any) -> list[int]:
    statuses = []
    for _ in range(count):
        reply = await gql("{ statistics { totalUsers } }", **kwargs)
        statuses.append(reply.status)
        if reply.status == 429:
            assert reply.codes == ["RATE_LIMITED"]
            assert 1 <= int(reply.headers["retry-after"]) <= 60
    return statuses


async def test_each_client_has_its_share_of_the_minute(shared_db: Database, data_dir: Path) -> None:
    async with gateway_client(shared_db, data_dir, {}, rate_limit_per_minute=5) as gql:
        assert await limited_requests(gql, 7) == [200] * 5 + [429] * 2
        # Another client (a signed-in user) has a share of its own...
        assert await limited_requests(gql, 5, as_user=USER_ID) == [200] * 5
        # ...and a new X-Client-Id is no way around the limit.
        headers = {"X-Client-Id": "fresh"}
        assert await limited_requests(gql, 1, headers=headers) == [429]


async def test_the_rate_limit_is_fleet_wide_with_redis(
    shared_db: Database, data_dir: Path, redis_url: str, namespace: str
) -> None:
    options: dict[str, Any] = {
        "rate_limit_per_minute": 6,
        "redis_url": redis_url,
        "redis_namespace": namespace,
    }
    async with (
        gateway_client(shared_db, data_dir, {}, **options) as one,
        gateway_client(shared_db, data_dir, {}, **options) as two,
    ):
        first = await limited_requests(one, 3, as_user=ADMIN_ID)
        second = await limited_requests(two, 4, as_user=ADMIN_ID)
    assert first + second == [200] * 6 + [429]


CREATE = """mutation($input: CreateRestaurantInput!) { createRestaurant(input: $input) {
  name city state zipCode phone website latitude longitude priceRange } }"""
V4_STRICT = {
    "API_V4_ENABLED": "true",
    "API_V4_RESTAURANTS": "true",
    "API_V4_REVIEWS": "true",
    "API_V4_VALIDATION": "true",
}


@pytest.mark.parametrize("details", [True, False])
async def test_v4_reports_every_invalid_field_at_once(
    fresh_db: Database, data_dir: Path, details: bool
) -> None:
    environ = V4_STRICT | ({"API_V4_ERROR_HANDLING": "true"} if details else {})
    bad = {
        "name": "  ", "kosherCategory": "MEAT", "state": "Narnia", "zipCode": "1234",
        "phone": "555-12", "website": "ftp://files", "latitude": 95.0, "priceRange": "cheap",
    }  # fmt: skip
    async with gateway_client(fresh_db, data_dir, environ, "v4") as gql:
        reply = await gql(CREATE, {"input": bad}, as_user=ADMIN_ID)
    assert reply.codes == ["BAD_USER_INPUT"]
    error = reply.errors[0]
    expected = {
        "name",
        "state",
        "zipCode",
        "phone",
        "website",
        "latitude",
        "longitude",
        "priceRange",
    }
    assert all(field in error["message"] for field in expected)
    if details:
        assert set(error["extensions"]["fields"]) == expected
        assert error["extensions"]["fields"]["zipCode"].startswith("must be a ZIP code")
    else:
        assert "fields" not in error["extensions"]


async def test_v4_normalises_what_it_accepts(fresh_db: Database, data_dir: Path) -> None:
    given = {
        "name": "  Grill   on  Main ", "kosherCategory": "MEAT", "city": " Teaneck ",
        "state": "nj", "zipCode": "07666", "phone": "+1 201.555.0199",
        "website": "GrillOnMain.Example/menu", "latitude": 40.9, "longitude": -74.0,
        "priceRange": "$$",
    }  # fmt: skip
    async with gateway_client(fresh_db, data_dir, V4_STRICT, "v4") as gql:
        created = (await gql(CREATE, {"input": given}, as_user=ADMIN_ID)).ok()["createRestaurant"]
    assert created == {
        "name": "Grill on Main", "city": "Teaneck", "state": "NJ", "zipCode": "07666",
        "phone": "(201) 555-0199", "website": "https://grillonmain.example/menu",
        "latitude": 40.9, "longitude": -74.0, "priceRange": "$$",
    }  # fmt: skip


async def test_without_the_validation_flag_v4_checks_only_the_basics(
    fresh_db: Database, data_dir: Path
) -> None:
    environ = {k: v for k, v in V4_STRICT.items() if k != "API_V4_VALIDATION"}
    environ["API_V4_ERROR_HANDLING"] = "true"
    async with gateway_client(fresh_db, data_dir, environ, "v4") as gql:
        loose = {"name": "Anything", "kosherCategory": "MEAT", "state": "Narnia", "phone": "x"}
        created = (await gql(CREATE, {"input": loose}, as_user=ADMIN_ID)).ok()
        assert created["createRestaurant"]["state"] == "Narnia"
        empty = await gql(
            CREATE, {"input": {"name": " ", "kosherCategory": "MEAT"}}, as_user=ADMIN_ID
        )
        assert empty.errors[0]["extensions"]["fields"] == {"name": "must not be empty"}


async def test_v3_never_adds_field_details(fresh_db: Database, data_dir: Path) -> None:
    environ = {"API_V4_ENABLED": "true", "API_V4_ERROR_HANDLING": "true"}
    async with gateway_client(fresh_db, data_dir, environ, "v3") as gql:
        reply = await gql(
            CREATE, {"input": {"name": "", "kosherCategory": "MEAT"}}, as_user=ADMIN_ID
        )
    assert reply.codes == ["BAD_USER_INPUT"]
    assert "fields" not in reply.errors[0]["extensions"]


async def test_review_content_keeps_its_lines_when_normalised(
    fresh_db: Database, data_dir: Path
) -> None:
    async with gateway_client(fresh_db, data_dir, V4_STRICT, "v4") as gql:
        reply = await gql(
            """mutation($c: String!) { createReview(input: {restaurantId: 3, rating: 4,
               content: $c, title: "  Good   lunch "}) { title content } }""",
            {"c": "  First line.\nSecond line.  "},
            as_user=USER_ID,
        )
    if reply.codes == ["CONFLICT"]:
        pytest.skip("the seeded user reviewed this restaurant already")
    review = reply.ok()["createReview"]
    assert review == {"title": "Good lunch", "content": "First line.\nSecond line."}
