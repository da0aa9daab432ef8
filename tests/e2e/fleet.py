"""Helpers of the fleet tests (test_rollouts, test_shadow_fleet): real `jewgo serve`
processes on PostgreSQL and Redis with intervals of seconds, anonymous traffic, an admin
client, and waits on conditions (never a fixed sleep)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from jewgo.db.engine import create_engine
from jewgo.gateway.request.auth import Tokens
from tests.support import ADMIN_ID, JWT_SECRET, Database, Server, base_env, free_port, serving

JEWGO = str(Path(sys.executable).parent / "jewgo")
TOKENS = Tokens(JWT_SECRET, 3600)
ADMIN = TOKENS.issue(ADMIN_ID)
READ = "query($f: RestaurantFilter) { restaurants(first: 5, filter: $f) { totalCount edges { node { id name averageRating } } } }"  # noqa: E501
FAST = {
    "API_V4_ENABLED": "true",
    "ROLLOUT_INTERVAL_SECONDS": "0.3",
    "METRICS_BUCKET_SECONDS": "1",
    "METRICS_FLUSH_SECONDS": "0.2",
    "FLAG_POLL_SECONDS": "1",
    "SHADOW_SAMPLE_RATE": "0",
    # On a loaded machine Redis may take longer than production's 0.25 s; these tests are of
    # the fleet's shared state, not of a slow Redis (tests/support's in-process ones alike).
    "REDIS_TIMEOUT_SECONDS": "1",
    # Behind a proxy, as a fleet is: the guard weighs callers by their address, which the
    # proxy (here, the test on loopback) forwards.
    "FORWARDED_ALLOW_IPS": "127.0.0.1",
}


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


class Traffic:
    """Anonymous readers with varied client ids and addresses (forwarded by the proxy the
    test plays), as long as the block runs."""

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
                who = {
                    "X-Client-Id": f"c{rng.randrange(10**6)}",
                    "X-Forwarded-For": f"10.{rng.randrange(256)}.{rng.randrange(256)}.7",
                }
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


async def wait_for(check: Callable[[], Awaitable[bool]], within: float) -> float:
    """Seconds until `await check()` holds, polled every 100 ms; fails after `within`."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if await check():
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {within} s")


async def stored_revision(database: Database) -> int:
    """The flag revision in the database: what every instance's snapshot must reach."""
    engine = create_engine(database.url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(text("SELECT revision FROM flag_state")) or 0)
    finally:
        await engine.dispose()


async def revisions(servers: list[Server]) -> list[int]:
    """The flag revision each server's snapshot holds (its /ready)."""
    async with httpx.AsyncClient(timeout=5) as client:
        return [
            int((await client.get(f"{s.url}/ready")).json()["flags"]["revision"]) for s in servers
        ]


async def shadow_outcomes(client: httpx.AsyncClient) -> Mapping[str, float]:
    """The shadow's outcomes this server has counted (match, mismatch, candidate_error and
    shed), from its /metrics: every sampled read ends in exactly one."""
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families((await client.get("/metrics")).text):
        if family.name == "jewgo_shadow_comparisons":
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    result = sample.labels["result"]
                    totals[result] = totals.get(result, 0.0) + sample.value
    return totals
