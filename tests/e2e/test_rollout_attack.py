"""The attack of issue 10 on a live gateway (PostgreSQL and Redis): an anonymous caller
who lands on v4 sends 40 hostile cursors during a rollout at 50 %. Each is BAD_USER_INPUT,
none counts as a v4 error, and the rollout keeps running. (The guard's weighting against a
few callers who do cause v4 errors: tests/integration/flags/rollouts/test_rollout_guard.py.)"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Templates, clone
from tests.e2e.fleet import READ, Traffic, admin, env_for, graphql, start, wait_for
from tests.support import Database

pytestmark = pytest.mark.slow

START = """mutation($config: RolloutConfigInput) {
  startRollout(name: "api_v4_restaurants", config: $config) { state } }"""
ROLLOUT = "{ migration { rollouts { flag state lastDecision } } }"
PAGE = "query($a: String) { restaurants(first: 3, after: $a) { edges { node { id } } } }"


def cursor(*values: Any, raw: str | None = None) -> str:
    text = raw if raw is not None else json.dumps(["NAME", *values])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


HOSTILE = [
    cursor("", "Kosher Corner", 2**31),  # the id of the report
    cursor("", "Kosher Corner", 10**400),
    cursor("", "a\u0000b", 1),
    cursor(raw='["RATING","",' + "1" * 400 + ",1]"),
    cursor(raw='["NEWEST","","9999-12-31T23:59:59-14:00",1]'),
    cursor(raw="[" * 2000),
]


@pytest.fixture
async def database(templates: Templates, tmp_path: Path) -> AsyncIterator[Database]:
    database = await clone("postgres", templates, tmp_path)
    yield database
    await database.close()


async def rollout(client: httpx.AsyncClient) -> dict[str, Any]:
    data = await admin(client, ROLLOUT)
    found: dict[str, Any] = next(
        r for r in data["migration"]["rollouts"] if r["flag"] == "api_v4_restaurants"
    )
    return found


async def test_forty_hostile_cursors_from_one_caller_on_v4_leave_the_rollout_running(
    database: Database, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    env = env_for(database, redis_url, namespace)
    with ExitStack() as stack:
        server = start(stack, env, tmp_path)
        async with Traffic([server.url]), httpx.AsyncClient(base_url=server.url) as client:
            await admin(client, START, config={
                "initialPercentage": 50, "incrementIntervalSeconds": 600,
                "monitoringPeriodSeconds": 3, "minRequests": 20,
            })  # fmt: skip
            attacker = {"X-Forwarded-For": "10.250.0.1"}
            for n in range(200):  # a client id that lands on v4, as the attacker picks one
                attacker["X-Client-Id"] = f"attacker-{n}"
                body = await graphql(client, READ, None, attacker)
                if body["extensions"]["versions"] == {"restaurants": "v4"}:
                    break
            else:
                pytest.fail("no client id of 200 landed on v4 at 50 %")
            for n in range(40):
                body = await graphql(client, PAGE, {"a": HOSTILE[n % len(HOSTILE)]}, attacker)
                assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
                assert body["extensions"]["versions"] == {"restaurants": "v4"}

            async def judged_with_the_attack() -> bool:
                # A verdict over a window that holds the attack and healthy traffic.
                decision = (await rollout(client))["lastDecision"] or ""
                calls = re.search(r"v4 (\d+)/(\d+) errors", decision)
                return calls is not None and int(calls[2]) >= 40

            await wait_for(judged_with_the_attack, within=10)
            state = await rollout(client)
    assert state["state"] == "RUNNING", state
    assert state["lastDecision"].startswith("holding: next step at"), state
    assert re.search(r"v4 0/\d+ errors", state["lastDecision"]), state


async def test_one_address_inventing_client_ids_cannot_advance_a_rollout(
    database: Database, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    """Issue 22's run: 150 anonymous reads from one address, each with a client id of its
    own, are plenty of v4 calls but one caller: the rollout holds for thin traffic."""
    env = env_for(database, redis_url, namespace)
    with ExitStack() as stack:
        server = start(stack, env, tmp_path)
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            await admin(client, START, config={
                "initialPercentage": 50, "incrementIntervalSeconds": 1,
                "monitoringPeriodSeconds": 60, "minRequests": 50,
            })  # fmt: skip
            one_address = {"X-Forwarded-For": "10.250.0.9"}
            for n in range(150):
                await graphql(client, READ, None, {**one_address, "X-Client-Id": f"made-up-{n}"})

            async def judged_the_flood() -> bool:
                decision = (await rollout(client))["lastDecision"] or ""
                return "v4 calls from 1 of 5 distinct callers" in decision

            await wait_for(judged_the_flood, within=15)
            state = await rollout(client)
    assert state["state"] == "RUNNING", state
    assert "advanced" not in (state["lastDecision"] or ""), state
