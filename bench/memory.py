"""Benchmark 5: resident memory of a worker as requests accumulate. Target: no growth
beyond noise between 10k and 50k requests.

    .venv/bin/python -m bench.memory [--requests 50000]

One `jewgo serve` worker on PostgreSQL + Redis, v4 with its cache, serves a mix that
touches every domain and keeps varying its arguments (so caches, loaders, metrics
labels and the parser cache all see new keys): a restaurant by id, a page of a
filtered list with reviews and authors, a page after a cursor, the statistics, and a
query with an error. RSS (VmRSS of the worker) is read after warm-up and at each
checkpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from bench.cache import V4
from bench.fleet import REDIS, gateway, seeded_database, server_env
from bench.machine import describe
from bench.results import write_section

CHECKPOINTS = (1_000, 10_000, 20_000, 30_000, 40_000, 50_000)
STATES = ("NY", "NJ", "CA", "FL", "IL", "MD", "PA", "TX")


def bodies() -> Iterator[dict[str, Any]]:
    """An endless, varied mix of requests."""
    for n in itertools.count():
        kind = n % 5
        if kind == 0:
            yield {
                "query": "query($id: ID!) { restaurant(id: $id) { id name averageRating } }",
                "variables": {"id": str(1 + n % 500)},
            }
        elif kind == 1:
            yield {
                "query": "query($s: String, $n: Int!) { restaurants(first: $n, filter: "
                "{state: $s}) { totalCount edges { cursor node { id name reviews(first: 2) "
                "{ edges { node { rating author { name } } } } } } } }",
                "variables": {"s": STATES[n % len(STATES)], "n": 1 + n % 20},
            }
        elif kind == 2:
            yield {"query": "{ statistics { totalRestaurants averageRating } }"}
        elif kind == 3:
            yield {
                "query": "query($q: String!) { restaurants(first: 5, filter: {search: $q}) "
                "{ edges { node { id } } } }",
                "variables": {"q": f"kosher {n % 997}"},
            }
        else:
            yield {"query": '{ restaurant(id: "-1") { id } }'}  # BAD_USER_INPUT


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def drive(url: str, source: Iterator[dict[str, Any]], requests: int, clients: int) -> None:
    remaining = requests
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                reply = await client.post("/graphql", json=next(source))
                assert reply.status_code == 200, reply.text

        await asyncio.gather(*(worker() for _ in range(clients)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=CHECKPOINTS[-1])
    parser.add_argument("--concurrency", type=int, default=16)
    options = parser.parse_args()
    checkpoints = [c for c in CHECKPOINTS if c <= options.requests]
    readings: list[tuple[int, int]] = []
    source = bodies()
    with tempfile.TemporaryDirectory() as workdir, seeded_database(1) as url:
        env = server_env(
            url, REDIS_URL=REDIS, REDIS_NAMESPACE=f"jewgo-bench-{uuid.uuid4().hex[:8]}",
            RATE_LIMIT_PER_MINUTE="0", **V4, API_V4_CACHE="true",
        )  # fmt: skip
        with gateway(env, Path(workdir)) as server:
            done = 0
            for checkpoint in checkpoints:
                asyncio.run(drive(server.url, source, checkpoint - done, options.concurrency))
                done = checkpoint
                readings.append((done, rss_kib(server.process.pid)))
                print(f"{done:>6} requests: {readings[-1][1] / 1024:.1f} MiB", flush=True)
    at = dict(readings)
    lines = [
        "## Memory per worker (`python -m bench.memory`)",
        "",
        f"Machine and date: {describe()}",
        "",
        "One `jewgo serve` worker, v4 with the Redis cache, PostgreSQL at seed scale 1; "
        f"{options.concurrency} clients send a varied mix (restaurants by id, filtered "
        "pages with reviews, authors and cursors, searches, statistics, a bad id). "
        "RSS of the worker after each number of requests:",
        "",
        "| requests | RSS MiB |",
        "|---:|---:|",
        *(f"| {n:,} | {kib / 1024:.1f} |" for n, kib in readings),
    ]
    if 10_000 in at and 50_000 in at:
        growth_kib = at[50_000] - at[10_000]
        lines += [
            "",
            f"From 10k to 50k requests the worker grew by {growth_kib / 1024:+.1f} MiB "
            f"({growth_kib * 1024 / 40_000:+.1f} bytes per request).",
        ]
    section = "\n".join(lines)
    print(section)
    write_section("memory", section)


if __name__ == "__main__":
    main()
