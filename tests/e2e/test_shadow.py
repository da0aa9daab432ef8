"""The shadow in one process: it catches a wrong v4, names the field, and stays bounded."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from jewgo.gateway.verification.shadow import Shadow
from tests.e2e.skews import one_star_more, skew_v4_restaurants
from tests.support import ADMIN_ID, USER_ID, Database, GraphQL, gateway_client

QUERY = """query Top { top: restaurants(first: 3, orderBy: NAME) {
  edges { node { name ...Score } } } }
fragment Score on Restaurant { rating: averageRating }"""
SHADOW = """{ flag(name: "api_v4_restaurants") { metrics { shadow { comparisons matches
  mismatches candidateErrors recentMismatches byField { field count } } } } }"""


@pytest.fixture
async def shadowed(fresh_db: Database, data_dir: Path) -> AsyncIterator[GraphQL]:
    async with gateway_client(
        fresh_db, data_dir, {"API_V4_ENABLED": "true"}, shadow_sample_rate=1.0
    ) as gql:
        (await gql(
            'mutation { setFlagStage(name: "api_v4_restaurants", stage: TESTING) { stage } }',
            as_user=ADMIN_ID,
        )).ok()  # fmt: skip
        yield gql


def shadow_of(gql: GraphQL) -> Shadow:
    shadow: Shadow = gql.app.state.shadow
    return shadow


async def report(gql: GraphQL) -> dict[str, Any]:
    await shadow_of(gql).drain()
    data = (await gql(SHADOW, as_user=ADMIN_ID)).ok()
    result: dict[str, Any] = data["flag"]["metrics"]["shadow"]
    return result


async def test_a_wrong_v4_is_caught_and_its_field_named(
    shadowed: GraphQL, monkeypatch: pytest.MonkeyPatch
) -> None:
    skew_v4_restaurants(monkeypatch, one_star_more)
    reply = await shadowed(QUERY, headers={"X-Client-Id": "anyone"})
    first = reply.ok()["top"]["edges"][0]["node"]
    assert reply.extensions["versions"] == {"restaurants": "v3"}  # the caller saw v3
    shadow = await report(shadowed)
    assert (shadow["comparisons"], shadow["mismatches"]) == (1, 1)
    assert shadow["byField"] == [{"field": "Restaurant.averageRating", "count": 1}]
    (line,) = shadow["recentMismatches"]
    assert "top.edges.0.node.rating (Restaurant.averageRating)" in line
    assert f"v3 {first['rating']}" in line


async def test_mutations_and_failed_reads_are_never_shadowed(shadowed: GraphQL) -> None:
    (await shadowed(
        'mutation { createReview(input: {restaurantId: 1, rating: 5, content: "x"}) { id } }',
        as_user=USER_ID,
    )).ok()  # fmt: skip
    assert (await shadowed('{ restaurant(id: "x") { id } }')).codes == ["BAD_USER_INPUT"]
    assert (await report(shadowed))["comparisons"] == 0


async def test_the_shadow_sheds_what_it_cannot_run_at_once(
    fresh_db: Database, data_dir: Path
) -> None:
    def shed() -> float:
        labels = {"flag": "api_v4_restaurants", "result": "shed"}
        return REGISTRY.get_sample_value("jewgo_shadow_comparisons_total", labels) or 0.0

    async with gateway_client(
        fresh_db, data_dir, {"API_V4_ENABLED": "true"}, shadow_sample_rate=1.0,
        shadow_concurrency=1,
    ) as gql:  # fmt: skip
        (await gql(
            'mutation { setFlagStage(name: "api_v4_restaurants", stage: TESTING) { stage } }',
            as_user=ADMIN_ID,
        )).ok()  # fmt: skip
        before = shed()
        replies = await asyncio.gather(*(gql(QUERY) for _ in range(8)))
        assert all(not r.errors for r in replies)
        assert shed() > before
        shadow = await report(gql)
    assert 1 <= shadow["comparisons"] < 8
    assert shadow["mismatches"] == 0


EXAMPLES = """{ flag(name: "api_v4_restaurants") { metrics { shadow { recentMismatches
  byField { field count examples { operationName path v3 v4 } } } } } }"""


async def test_each_differing_field_keeps_examples_with_private_values_redacted(
    shadowed: GraphQL, monkeypatch: pytest.MonkeyPatch
) -> None:
    skew_v4_restaurants(
        monkeypatch,
        lambda r: dataclasses.replace(r, website="mailto:owner@kosher.example", average_rating=9.0),
    )
    query = "query Front { restaurants(first: 2) { edges { node { website averageRating } } } }"
    for _ in range(4):
        (await shadowed(query, headers={"X-Client-Id": "anyone"})).ok()
        await shadow_of(shadowed).drain()
    data = (await shadowed(EXAMPLES, as_user=ADMIN_ID)).ok()
    shadow = data["flag"]["metrics"]["shadow"]
    fields = {f["field"]: f for f in shadow["byField"]}
    assert {name: f["count"] for name, f in fields.items()} == {
        "Restaurant.website": 4, "Restaurant.averageRating": 4,
    }  # fmt: skip
    website = fields["Restaurant.website"]["examples"]
    assert len(website) == 3  # the latest three
    assert website[0] == {
        "operationName": "Front", "path": "restaurants.edges.0.node.website",
        "v3": website[0]["v3"], "v4": '"(redacted)"',
    }  # fmt: skip
    assert fields["Restaurant.averageRating"]["examples"][0]["v4"] == "9.0"
    assert "owner@" not in str(data)


async def test_a_matching_shadow_comparison_covers_the_operation(shadowed: GraphQL) -> None:
    query = "query Covered { restaurants(first: 2) { edges { node { name } } } }"
    (await shadowed(query, headers={"X-Client-Id": "anyone"})).ok()
    await shadow_of(shadowed).drain()
    await shadowed.app.state.services.registry.flush()
    data = (await shadowed("{ migration { coverage { flag knownOperations cleanOperations } } }",
                           as_user=ADMIN_ID)).ok()  # fmt: skip
    found = {c["flag"]: c for c in data["migration"]["coverage"]}
    assert found["api_v4_restaurants"] == {
        "flag": "api_v4_restaurants", "knownOperations": 1, "cleanOperations": 1,
    }  # fmt: skip
