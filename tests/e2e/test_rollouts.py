"""Rollouts and the shadow across real server processes on PostgreSQL and Redis, with
intervals of seconds: automatic rollback, a healthy walk to FULL, thin traffic, a dead
controller replaced, and shadow comparisons."""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
import time
from collections.abc import AsyncIterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from jewgo.gateway.auth import Tokens
from tests import seeded
from tests.conftest import Templates, clone
from tests.support import (
    ADMIN_ID,
    JWT_SECRET,
    Database,
    Server,
    base_env,
    free_port,
    serving,
    stop,
)

pytestmark = pytest.mark.slow
JEWGO = str(Path(sys.executable).parent / "jewgo")
TOKENS = Tokens(JWT_SECRET, 3600)
ADMIN = TOKENS.issue(ADMIN_ID)
READ = "query($f: RestaurantFilter) { restaurants(first: 5, filter: $f) { totalCount edges { node { id name averageRating } } } }"  # noqa: E501
FAST = {
    "API_V4_ENABLED": "true",
    "ROLLOUT_INTERVAL_SECONDS": "0.3",
    "ROLLOUT_LEASE_SECONDS": "1.5",
    "METRICS_BUCKET_SECONDS": "1",
    "METRICS_FLUSH_SECONDS": "0.2",
    "FLAG_POLL_SECONDS": "1",
    "SHADOW_SAMPLE_RATE": "0",
}


@pytest.fixture
async def database(templates: Templates, tmp_path: Path) -> AsyncIterator[Database]:
    database = await clone("postgres", templates, tmp_path)
    yield database
    await database.close()


def env_for(database: Database, redis_url: str, namespace: str, **extra: str) -> dict[str, str]:
    settings = {"DATABASE_URL": database.url, "REDIS_URL": redis_url, "REDIS_NAMESPACE": namespace}
    return base_env(**{**settings, **FAST, **extra})


def start(stack: ExitStack, env: dict[str, str], cwd: Path) -> Server:
    port = free_port()
    command = [JEWGO, "serve", "--port", str(port), "--no-migrate"]
    return stack.enter_context(serving(command, env, cwd, port))


async def graphql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    body: dict[str, Any] = response.json()
    return body


async def admin(client: httpx.AsyncClient, query: str, **variables: Any) -> Any:
    body = await graphql(client, query, variables, {"Authorization": f"Bearer {ADMIN}"})
    assert not body.get("errors"), body
    return body["data"]


START = """mutation($name: String!, $config: RolloutConfigInput) {
  startRollout(name: $name, config: $config) { state currentPercentage } }"""
STATUS = """query($name: String!) { migration { rollouts { flag state currentPercentage
  lastDecision } } flag(name: $name) { stage rolloutPercentage
  history(first: 20) { action actor toStage toPercentage reason } } }"""


async def status(client: httpx.AsyncClient, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    data = await admin(client, STATUS, name=name)
    rollout = next(r for r in data["migration"]["rollouts"] if r["flag"] == name)
    return rollout, data["flag"]


class Traffic:
    """Anonymous readers with varied client ids, as long as the block runs."""

    def __init__(self, urls: list[str], rate: float = 60.0) -> None:
        self._urls = urls
        self._pause = 1 / rate
        self.replies: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        clients = [httpx.AsyncClient(base_url=url, timeout=10) for url in self._urls]
        rng = random.Random(5)
        try:
            while True:
                client = rng.choice(clients)
                state = rng.choice(["NY", "NJ", "CA", "FL", None])
                variables = {"f": {"state": state}} if state else {}
                who = {"X-Client-Id": f"c{rng.randrange(10**6)}"}
                try:
                    self.replies.append(await graphql(client, READ, variables, who))
                except httpx.TransportError:  # a server the test killed
                    continue
                await asyncio.sleep(self._pause)
        finally:
            for client in clients:
                await client.aclose()

    async def __aenter__(self) -> Traffic:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def wait_for(check: Any, within: float) -> float:
    """Seconds until `await check()` holds, polled every 100 ms; fails after `within`."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if await check():
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {within} s")


async def test_failing_v4_is_rolled_back_within_one_window_and_nothing_is_lost(
    database: Database, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    env = env_for(database, redis_url, namespace, FAULTS="restaurants.v4:error=0.3")
    window = 4
    with ExitStack() as stack:
        servers = [start(stack, env, tmp_path), start(stack, env, tmp_path)]
        async with httpx.AsyncClient(base_url=servers[0].url, timeout=10) as client:
            written: list[str] = []

            async def write(n: int) -> None:
                body = await graphql(
                    client,
                    "mutation($n: String!) { createRestaurant(input: {name: $n, "
                    "kosherCategory: DAIRY}) { id } }",
                    {"n": f"Written during the drill {n}"},
                    {"Authorization": f"Bearer {ADMIN}"},
                )
                if not body.get("errors"):
                    written.append(body["data"]["createRestaurant"]["id"])

            async with Traffic([s.url for s in servers]):
                await admin(client, START, name="api_v4_restaurants", config={
                    "initialPercentage": 50, "incrementPercentage": 25,
                    "incrementIntervalSeconds": 600, "monitoringPeriodSeconds": window,
                    "autoRollbackThresholdPercent": 5, "minRequests": 20,
                })  # fmt: skip
                started = time.monotonic()
                for n in range(10):
                    await write(n)

                async def rolled_back() -> bool:
                    rollout, _ = await status(client, "api_v4_restaurants")
                    return bool(rollout["state"] == "ROLLED_BACK")

                try:
                    await wait_for(rolled_back, within=window + 3)
                except AssertionError:
                    print(await status(client, "api_v4_restaurants"), servers[0].output()[-3000:])
                    raise
                took = time.monotonic() - started
                print(f"\nrolled back {took:.1f} s after the rollout started (window {window} s)")
                assert took <= window
                for n in range(10, 15):
                    await write(n)

            rollout, flag = await status(client, "api_v4_restaurants")
            assert (flag["stage"], flag["rolloutPercentage"]) == ("DISABLED", 0.0)
            assert "rolled back: v4 error rate" in rollout["lastDecision"]
            event = flag["history"][0]
            assert (event["action"], event["actor"], event["toStage"]) == (
                "ROLLOUT_ROLLBACK", "rollout-controller", "DISABLED",
            )  # fmt: skip
            assert "errors" in event["reason"]

            await asyncio.sleep(1.2)  # every instance has the rollback (pub/sub, or poll)
            for server in servers:
                async with httpx.AsyncClient(base_url=server.url, timeout=10) as each:
                    for n in range(20):
                        body = await graphql(each, READ, None, {"X-Client-Id": f"after-{n}"})
                        assert body["extensions"]["versions"] == {"restaurants": "v3"}
                        assert not body.get("errors")

            assert len(written) >= 10  # v3 writes never fail; v4's may, and then wrote nothing
            for restaurant_id in written:
                body = await graphql(
                    client,
                    "query($id: ID!) { restaurant(id: $id) { name } }",
                    {"id": restaurant_id},
                )
                assert body["data"]["restaurant"]["name"].startswith("Written during the drill")
            total = await admin(
                client, '{ restaurants(filter: {status: ACTIVE, search: "drill"}) { totalCount } }'
            )
            assert total["restaurants"]["totalCount"] == len(written)


async def test_a_healthy_rollout_walks_20_60_100_and_completes(
    database: Database, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    env = env_for(database, redis_url, namespace)
    with ExitStack() as stack:
        servers = [start(stack, env, tmp_path)]
        async with (
            httpx.AsyncClient(base_url=servers[0].url, timeout=10) as client,
            Traffic([s.url for s in servers]),
        ):
            await admin(client, START, name="api_v4_restaurants", config={
                "initialPercentage": 20, "incrementPercentage": 40,
                "incrementIntervalSeconds": 2, "monitoringPeriodSeconds": 2, "minRequests": 5,
            })  # fmt: skip

            async def completed() -> bool:
                rollout, _ = await status(client, "api_v4_restaurants")
                return bool(rollout["state"] == "COMPLETED")

            took = await wait_for(completed, within=20)
            print(f"\n20 -> 60 -> 100 % in {took:.1f} s")
            rollout, flag = await status(client, "api_v4_restaurants")
    assert (flag["stage"], flag["rolloutPercentage"]) == ("FULL", 100.0)
    assert rollout["currentPercentage"] == 100.0
    steps = [(e["action"], e["toPercentage"]) for e in reversed(flag["history"])]
    assert steps == [("START_ROLLOUT", 20.0), ("ROLLOUT_STEP", 60.0), ("ROLLOUT_COMPLETE", 100.0)]


async def test_thin_traffic_holds_and_says_why(
    database: Database, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    env = env_for(database, redis_url, namespace)
    with ExitStack() as stack:
        server = start(stack, env, tmp_path)
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            await admin(client, START, name="api_v4_reviews", config={
                "initialPercentage": 10, "incrementIntervalSeconds": 1,
                "monitoringPeriodSeconds": 3, "minRequests": 50,
            })  # fmt: skip

            async def holding() -> bool:
                rollout, _ = await status(client, "api_v4_reviews")
                return "thin traffic" in (rollout["lastDecision"] or "")

            await wait_for(holding, within=8)
            rollout, flag = await status(client, "api_v4_reviews")
    assert (rollout["state"], rollout["currentPercentage"]) == ("RUNNING", 10.0)
    assert rollout["lastDecision"].startswith("holding: thin traffic, 0 of 50 v4 calls")
    assert (flag["stage"], flag["rolloutPercentage"]) == ("PARTIAL", 10.0)


async def test_another_instance_takes_over_when_the_controller_dies(
    database: Database, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    env = env_for(database, redis_url, namespace)
    with ExitStack() as stack:
        servers = [start(stack, env, tmp_path), start(stack, env, tmp_path)]

        def leader() -> Server | None:
            for server in servers:
                if server.process.poll() is not None:
                    continue
                ready = httpx.get(f"{server.url}/ready", timeout=5).json()
                rollouts = next(c for c in ready["components"] if c["name"] == "rollouts")
                if rollouts["detail"].startswith("this instance leads"):
                    return server
            return None

        async with Traffic([s.url for s in servers]):
            async with httpx.AsyncClient(base_url=servers[0].url, timeout=10) as client:
                await admin(client, START, name="api_v4_restaurants", config={
                    "initialPercentage": 20, "incrementPercentage": 40,
                    "incrementIntervalSeconds": 2, "monitoringPeriodSeconds": 2,
                    "minRequests": 5,
                })  # fmt: skip
            first = leader()
            assert first is not None
            survivor = next(s for s in servers if s is not first)
            async with httpx.AsyncClient(base_url=survivor.url, timeout=10) as client:

                async def stepped() -> bool:
                    rollout, _ = await status(client, "api_v4_restaurants")
                    return bool(rollout["currentPercentage"] >= 60)

                await wait_for(stepped, within=15)
                first.process.kill()  # the leader dies without letting go of its lease
                stop(first.process)

                async def completed() -> bool:
                    rollout, _ = await status(client, "api_v4_restaurants")
                    return bool(rollout["state"] == "COMPLETED")

                took = await wait_for(completed, within=20)
                print(f"\nthe survivor finished the rollout {took:.1f} s after the leader died")
                assert leader() is survivor


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


async def test_the_shadow_finds_only_matches_on_an_unmodified_database(
    database: Database, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    env = env_for(database, redis_url, namespace, SHADOW_SAMPLE_RATE="1", SHADOW_CONCURRENCY="8")
    with ExitStack() as stack:
        server = start(stack, env, tmp_path)
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            for name in (
                "api_v4_restaurants",
                "api_v4_reviews",
                "api_v4_users",
                "api_v4_statistics",
            ):
                await admin(client, TESTING, n=name)
            for _ in range(3):
                for query, variables in SHADOWED:
                    body = await graphql(client, query, variables)
                    assert not body.get("errors"), body
                    assert set(body["extensions"]["versions"].values()) == {"v3"}
                    await asyncio.sleep(0.05)
            await asyncio.sleep(1.5)  # comparisons finish and are flushed
            results = {
                n: await shadow_of(client, n)
                for n in (
                    "api_v4_restaurants",
                    "api_v4_reviews",
                    "api_v4_users",
                    "api_v4_statistics",
                )
            }
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
            await asyncio.sleep(1.5)
            shadow = await shadow_of(client, "api_v4_restaurants")
    for reply in replies:
        assert not reply.get("errors")
        assert reply["data"] == expected["data"]
    assert shadow["candidateErrors"] >= 10
    assert shadow["candidateErrors"] == shadow["comparisons"]
    assert shadow["mismatches"] == 0
