"""Rollouts across real server processes on PostgreSQL and Redis, with intervals of
seconds: automatic rollback, a healthy walk to FULL, thin traffic, and a dead controller
replaced. (The shadow across processes: test_shadow_fleet.py.)"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Templates, clone
from tests.e2e.fleet import (
    ADMIN,
    READ,
    Traffic,
    admin,
    env_for,
    graphql,
    revisions,
    start,
    stored_revision,
    wait_for,
)
from tests.support import Database, Server, stop

pytestmark = pytest.mark.slow


@pytest.fixture
async def database(templates: Templates, tmp_path: Path) -> AsyncIterator[Database]:
    database = await clone("postgres", templates, tmp_path)
    yield database
    await database.close()


START = """mutation($name: String!, $config: RolloutConfigInput) {
  startRollout(name: $name, config: $config) { state currentPercentage } }"""
STATUS = """query($name: String!) { migration { rollouts { flag state currentPercentage
  lastDecision } } flag(name: $name) { stage rolloutPercentage
  history(first: 20) { action actor toStage toPercentage reason } } }"""


async def status(client: httpx.AsyncClient, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    data = await admin(client, STATUS, name=name)
    rollout = next(r for r in data["migration"]["rollouts"] if r["flag"] == name)
    return rollout, data["flag"]


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

            rollout, flag = await status(client, "api_v4_restaurants")
            assert (flag["stage"], flag["rolloutPercentage"]) == ("DISABLED", 0.0)
            assert "rolled back: v4 error rate" in rollout["lastDecision"]
            event = flag["history"][0]
            assert (event["action"], event["actor"], event["toStage"]) == (
                "ROLLOUT_ROLLBACK", "rollout-controller", "DISABLED",
            )  # fmt: skip
            assert "errors" in event["reason"]

            # Every instance has the rollback (pub/sub, or poll) within the time it had.
            revision = await stored_revision(database)

            async def everywhere() -> bool:
                return set(await revisions(servers)) == {revision}

            await wait_for(everywhere, within=1.2)
            during = len(written)
            for n in range(10, 15):  # every instance on v3 now
                await write(n)
            for server in servers:
                async with httpx.AsyncClient(base_url=server.url, timeout=10) as each:
                    for n in range(20):
                        body = await graphql(each, READ, None, {"X-Client-Id": f"after-{n}"})
                        assert body["extensions"]["versions"] == {"restaurants": "v3"}
                        assert not body.get("errors")

            # After the rollback every write is v3's, which never fails; during the drill the
            # admin's writes fail as v4's do when the salt puts the admin on v4 (30 % each),
            # and a failed one wrote nothing (the count below).
            assert len(written) - during == 5
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


@pytest.mark.parametrize("with_redis", [True, False], ids=["redis", "no-redis"])
async def test_another_instance_takes_over_when_the_controller_dies(
    database: Database, redis_url: str, namespace: str, tmp_path: Path, with_redis: bool
) -> None:
    env = env_for(database, redis_url, namespace)
    if not with_redis:  # the lease is in PostgreSQL: a fleet without Redis has a leader too
        env.pop("REDIS_URL")
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

                # Bounds for a loaded machine (it steps within seconds when quiet): two
                # suites side by side once left the leader's thin traffic short of 15 s.
                await wait_for(stepped, within=40)
                first.process.kill()  # the leader dies without letting go of its lock
                stop(first.process)

                async def completed() -> bool:
                    rollout, _ = await status(client, "api_v4_restaurants")
                    return bool(rollout["state"] == "COMPLETED")

                took = await wait_for(completed, within=40)
                print(f"\nthe survivor finished the rollout {took:.1f} s after the leader died")
                assert leader() is survivor
