"""The shadow across a real server process on PostgreSQL and Redis: comparisons of an
unmodified database all match, and a failing v4 is counted while every response stays
correct. Each test waits until the shadow has accounted for every read it sampled."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import seeded
from tests.conftest import Templates, clone
from tests.e2e.fleet import READ, admin, env_for, graphql, shadow_outcomes, start, wait_for
from tests.support import Database

pytestmark = pytest.mark.slow
FLAGS = ("api_v4_restaurants", "api_v4_reviews", "api_v4_users", "api_v4_statistics")


@pytest.fixture
async def database(templates: Templates, tmp_path: Path) -> AsyncIterator[Database]:
    database = await clone("postgres", templates, tmp_path)
    yield database
    await database.close()


SHADOWED = [
    (READ, {}),
    ("{ restaurants(first: 10, orderBy: RATING) { edges { node { name averageRating reviewCount reviews(first: 3) { totalCount edges { node { rating author { name } } } } } } } }", {}),  # noqa: E501
    ("{ restaurants(orderBy: DISTANCE, filter: {near: {latitude: 40.63, longitude: -73.96, radiusKm: 3}}) { edges { node { id distanceKm } } } }", {}),  # noqa: E501
    ("query($id: ID!) { restaurant(id: $id) { name reviews { edges { node { title } } } } }", {"id": str(seeded.busiest_restaurant())}),  # noqa: E501
    ("{ reviews(first: 20) { totalCount edges { cursor node { rating restaurant { name } author { name } } } } }", {}),  # noqa: E501
    ("{ statistics { totalReviews averageRating restaurantsByState { state count } } }", {}),
]  # fmt: skip
TESTING = "mutation($n: String!) { setFlagStage(name: $n, stage: TESTING) { stage } }"
SHADOW = """query($n: String!) { flag(name: $n) { metrics { shadow { comparisons matches
  mismatches candidateErrors recentMismatches byField { field count } } } } }"""


async def shadow_of(client: httpx.AsyncClient, name: str) -> dict[str, Any]:
    data = await admin(client, SHADOW, n=name)
    shadow: dict[str, Any] = data["flag"]["metrics"]["shadow"]
    return shadow


async def accounted(client: httpx.AsyncClient, reads: int, flags: tuple[str, ...]) -> None:
    """Until every one of `reads` sampled reads has its outcome, and the compared ones are
    in the fleet's figures that FeatureFlag.metrics reads (flushed to Redis)."""

    async def settled() -> bool:
        outcomes = await shadow_outcomes(client)
        if sum(outcomes.values()) < reads:
            return False
        compared = sum(n for result, n in outcomes.items() if result != "shed")
        shown = sum([(await shadow_of(client, name))["comparisons"] for name in flags])
        return bool(shown == compared)

    await wait_for(settled, within=5)


async def test_the_shadow_finds_only_matches_on_an_unmodified_database(
    database: Database, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    env = env_for(database, redis_url, namespace, SHADOW_SAMPLE_RATE="1", SHADOW_CONCURRENCY="8")
    with ExitStack() as stack:
        server = start(stack, env, tmp_path)
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            for name in FLAGS:
                await admin(client, TESTING, n=name)
            for _ in range(3):
                for query, variables in SHADOWED:
                    body = await graphql(client, query, variables)
                    assert not body.get("errors"), body
                    assert set(body["extensions"]["versions"].values()) == {"v3"}
                    await asyncio.sleep(0.05)
            # Every read is sampled (rate 1) and touches a domain at TESTING served by v3.
            await accounted(client, reads=3 * len(SHADOWED), flags=FLAGS)
            results = {n: await shadow_of(client, n) for n in FLAGS}
    total = sum(r["comparisons"] for r in results.values())
    print(f"\nshadow comparisons: { {n: r['comparisons'] for n, r in results.items()} }")
    assert total >= 12
    for shadow in results.values():
        assert shadow["mismatches"] == 0 and shadow["candidateErrors"] == 0, shadow
        assert shadow["matches"] == shadow["comparisons"]
        assert shadow["recentMismatches"] == [] and shadow["byField"] == []


async def test_shadow_errors_are_counted_while_every_response_stays_correct(
    database: Database, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    env = env_for(
        database, redis_url, namespace, SHADOW_SAMPLE_RATE="1", SHADOW_CONCURRENCY="8",
        FAULTS="restaurants.v4:error=1.0",
    )  # fmt: skip
    with ExitStack() as stack:
        server = start(stack, env, tmp_path)
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            await admin(client, TESTING, n="api_v4_restaurants")
            expected = await graphql(client, READ)
            replies = []
            for n in range(15):
                replies.append(await graphql(client, READ, None, {"X-Client-Id": f"s{n}"}))
                await asyncio.sleep(0.05)
            await accounted(client, reads=1 + len(replies), flags=("api_v4_restaurants",))
            shadow = await shadow_of(client, "api_v4_restaurants")
    for reply in replies:
        assert not reply.get("errors")
        assert reply["data"] == expected["data"]
    assert shadow["candidateErrors"] >= 10
    assert shadow["candidateErrors"] == shadow["comparisons"]
    assert shadow["mismatches"] == 0
