"""A small closed-loop HTTP load generator on loopback (httpx, asyncio)."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Round:
    requests: int
    seconds: float
    latencies_ms: list[float]
    failures: int
    first_failure: str | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(
    url: str,
    body: dict[str, Any],
    *,
    requests: int,
    concurrency: int,
    headers: dict[str, str] | None = None,
) -> Round:
    """`requests` POSTs of `body` by `concurrency` clients, each waiting for its answer."""
    latencies: list[float] = []
    failures = 0
    first_failure: str | None = None
    remaining = requests
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal remaining, failures, first_failure
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                response = await client.post("/graphql", json=body, headers=headers)
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200 or b'"errors"' in response.content:
                    failures += 1
                    if first_failure is None:
                        first_failure = f"HTTP {response.status_code}: {response.text[:500]}"

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return Round(len(latencies), elapsed, latencies, failures, first_failure)


def alternate(
    servers: dict[str, str],
    body: dict[str, Any],
    *,
    rounds: int,
    requests: int,
    concurrency: int,
    warmup: int,
) -> dict[str, list[Round]]:
    """Each server warmed up with `warmup` requests, then `rounds` rounds in which every
    server in turn takes `requests`: side by side, so noise falls on all of them alike.
    Any failed request stops the benchmark."""
    for url in servers.values():
        asyncio.run(run(url, body, requests=warmup, concurrency=concurrency))
    results: dict[str, list[Round]] = {name: [] for name in servers}
    for _ in range(rounds):
        for name, url in servers.items():
            result = asyncio.run(run(url, body, requests=requests, concurrency=concurrency))
            assert result.failures == 0, (
                f"{name}: {result.failures} failed, the first: {result.first_failure}"
            )
            results[name].append(result)
    return results


def median(values: list[float]) -> float:
    return statistics.median(values)
