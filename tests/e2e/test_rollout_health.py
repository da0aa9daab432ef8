"""Rollout health and gates across real `jewgo serve` processes on PostgreSQL and Redis:
`usersAffected` is the number of distinct client ids v4 served, whichever instance
served them (within HyperLogLog's error); a rollout with `pauseAt: [50]` waits at 50 %
for a person."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from jewgo.db.engine import create_engine
from jewgo.db.timestamps import utc
from tests.conftest import Templates, clone
from tests.e2e.fleet import READ, Traffic, admin, env_for, graphql, start, wait_for
from tests.support import Database

pytestmark = pytest.mark.slow

START = """mutation($name: String!, $config: RolloutConfigInput) {
  startRollout(name: $name, config: $config) { state } }"""
HEALTH = """{ migration { rollouts { flag state health { isHealthy errorRatePercent
  usersAffected signedInUsersAffected anonymousCallersAffected alertsCount reasons } }
  rolloutHealth { isHealthy usersAffected alertsCount knownUsers
    usersSelected { flag users } } } }"""


@pytest.fixture
async def database(templates: Templates, tmp_path: Path) -> AsyncIterator[Database]:
    database = await clone("postgres", templates, tmp_path)
    yield database
    await database.close()


async def test_users_affected_counts_each_client_v4_served_once_on_two_instances(
    database: Database, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    env = env_for(database, redis_url, namespace)
    clients = 300
    with ExitStack() as stack:
        servers = [start(stack, env, tmp_path), start(stack, env, tmp_path)]
        async with (
            httpx.AsyncClient(base_url=servers[0].url, timeout=10) as one,
            httpx.AsyncClient(base_url=servers[1].url, timeout=10) as two,
        ):
            await admin(one, START, name="api_v4_restaurants", config={
                "initialPercentage": 100, "enableAutoIncrement": False,
                "monitoringPeriodSeconds": 60,
            })  # fmt: skip
            served = 0
            for n in range(clients):
                # Each client twice, once on each instance: counted once.
                for client in (one, two):
                    body = await graphql(client, READ, None, {"X-Client-Id": f"user-{n}"})
                    assert not body.get("errors"), body
                    served += body["extensions"]["versions"] == {"restaurants": "v4"}
            assert served == 2 * clients  # PARTIAL at 100 %: every one on v4

            async def counted() -> int:
                data = await admin(one, HEALTH)
                rollout = next(
                    r for r in data["migration"]["rollouts"] if r["flag"] == "api_v4_restaurants"
                )
                return int(rollout["health"]["usersAffected"])

            async def all_flushed() -> bool:
                return await counted() >= clients * 0.97

            await wait_for(all_flushed, within=10)
            found = await counted()
            print(f"\n{clients} clients through v4 on two instances: usersAffected {found}")
            assert abs(found - clients) <= clients * 0.03
            data = (await admin(two, HEALTH))["migration"]
            rollout = next(r for r in data["rollouts"] if r["flag"] == "api_v4_restaurants")
            assert rollout["health"]["isHealthy"] is True, rollout
            assert rollout["health"]["alertsCount"] == 0
            assert abs(rollout["health"]["usersAffected"] - clients) <= clients * 0.03
            # Client ids are anonymous callers' to invent: counted apart from signed-in users.
            assert rollout["health"]["signedInUsersAffected"] == 0
            assert (
                rollout["health"]["anonymousCallersAffected"] == rollout["health"]["usersAffected"]
            )
            summary = data["rolloutHealth"]
            assert summary["usersAffected"] == rollout["health"]["usersAffected"]
            selected = {f["flag"]: f["users"] for f in summary["usersSelected"]}
            # The master flag is forced on: every known user reaches restaurants' v4.
            assert selected["api_v4_restaurants"] == summary["knownUsers"] > 0
            assert selected["api_v4_reviews"] == 0


GATED = """query { migration { rollouts { flag state currentPercentage lastDecision } }
  flag(name: "api_v4_restaurants") { stage rolloutPercentage history(first: 10) { action
  toPercentage } alerts(state: FIRING) { rule } } }"""


async def heartbeat(database: Database) -> datetime:
    engine = create_engine(database.url)
    try:
        async with engine.connect() as conn:
            at: datetime = await conn.scalar(text("SELECT at FROM controller_heartbeat"))
            return utc(at)
    finally:
        await engine.dispose()


async def test_a_rollout_with_pause_at_50_stops_at_50_until_resumed(
    database: Database, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    env = env_for(database, redis_url, namespace)
    with ExitStack() as stack:
        server = start(stack, env, tmp_path)
        async with (
            httpx.AsyncClient(base_url=server.url, timeout=10) as client,
            Traffic([server.url]),
        ):
            await admin(client, START, name="api_v4_restaurants", config={
                "initialPercentage": 20, "incrementPercentage": 40, "pauseAt": [50],
                "incrementIntervalSeconds": 1, "monitoringPeriodSeconds": 2, "minRequests": 5,
            })  # fmt: skip

            async def rollout() -> dict[str, Any]:
                data = await admin(client, GATED)
                found: dict[str, Any] = next(
                    r for r in data["migration"]["rollouts"] if r["flag"] == "api_v4_restaurants"
                )
                return found | {"flag": data["flag"]}

            async def paused() -> bool:
                return bool((await rollout())["state"] == "PAUSED")

            await wait_for(paused, within=10)
            gated = await rollout()
            assert gated["currentPercentage"] == 50.0
            assert gated["lastDecision"].startswith("paused at the gate of 50%")
            # Several controller ticks later it is still there, waiting for a person.
            since = await heartbeat(database)

            async def ticked() -> bool:
                return (await heartbeat(database) - since).total_seconds() >= 2

            await wait_for(ticked, within=10)
            still = await rollout()
            assert (still["state"], still["currentPercentage"]) == ("PAUSED", 50.0)
            assert (still["flag"]["stage"], still["flag"]["rolloutPercentage"]) == ("PARTIAL", 50)
            assert {"rule": "RolloutAwaitingJudgement"} in still["flag"]["alerts"]
            await admin(client, 'mutation { resumeRollout(name: "api_v4_restaurants") { state } }')

            async def completed() -> bool:
                return bool((await rollout())["state"] == "COMPLETED")

            await wait_for(completed, within=15)
            done = await rollout()
    steps = [(e["action"], e["toPercentage"]) for e in reversed(done["flag"]["history"])]
    assert steps == [
        ("START_ROLLOUT", 20.0), ("ROLLOUT_GATE", 50.0), ("ROLLOUT_RUNNING", 50.0),
        ("ROLLOUT_STEP", 90.0), ("ROLLOUT_COMPLETE", 100.0),
    ]  # fmt: skip
