"""RSS per worker with the response cache full, for two byte budgets (RESPONSE_CACHE_BYTES).

    .venv/bin/python -m bench.rss [--answers 600]   (or from `bench.respcache`)

Two gateways, one worker each, with the response cache and a small and a larger budget,
each sent the same `answers` distinct answers (one document: 100 reviews with their
text after a different cursor each: a 15 KB body and 101 tags, ~49 KB as the near
cache counts it; several times either budget), each asked again to be a HIT. VmRSS of
the worker is read after a warm-up and after every fifth of the fill: the near cache
stops growing at its budget, so the two gateways' RSS differ by about the difference of
their budgets (the rest of what grows, the v4 data cache's memory tier and the bodies
the fast path remembers, is bounded too and alike in both).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import uuid
from pathlib import Path

import httpx

from bench.cache import V4
from bench.fleet import REDIS, gateway, seeded_database, server_env
from bench.memory import rss_kib

BUDGETS_MIB = (2, 8)
FILL = (
    "query Fill($after: String) { reviews(first: 100, after: $after) "
    "{ edges { node { id title content } } } }"
)
CURSORS = (
    "query Cursors($after: String) { reviews(first: 100, after: $after) { edges { cursor } } }"
)


def cursors(url: str, count: int) -> list[str]:
    """The first `count` cursors of the review list (distinct answers' variables)."""
    found: list[str] = []
    while len(found) < count:
        variables = {"after": found[-1] if found else None}
        reply = httpx.post(f"{url}/graphql", json={"query": CURSORS, "variables": variables})
        edges = reply.json()["data"]["reviews"]["edges"]
        assert edges, f"only {len(found)} reviews: a larger --scale"
        found += [edge["cursor"] for edge in edges]
    return found[:count]


async def fill(url: str, afters: list[str], clients: int = 4) -> int:
    """An answer after each cursor, each asked twice; the answers' bytes."""
    pending = iter(afters)
    sizes: list[int] = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:

        async def worker() -> None:
            for after in pending:
                body = {"query": FILL, "variables": {"after": after}}
                for _ in range(2):
                    reply = await client.post("/graphql", json=body)
                    assert reply.status_code == 200 and "errors" not in reply.json(), reply.text
                sizes.append(len(reply.content))

        await asyncio.gather(*(worker() for _ in range(clients)))
    return sum(sizes)


def measure(url: str, pid: int, answers: int, steps: int = 5) -> tuple[list[int], int]:
    """RSS (KiB) after the warm-up and after each step of the fill; the bytes sent."""
    afters = cursors(url, answers + 50)
    asyncio.run(fill(url, afters[:50]))
    readings = [rss_kib(pid)]
    sent, share = 0, answers // steps
    for step in range(steps):
        sent += asyncio.run(fill(url, afters[50 + step * share : 50 + (step + 1) * share]))
        readings.append(rss_kib(pid))
    return readings, sent


def run(database_url: str, workdir: Path, answers: int) -> list[str]:
    lines = [
        f"RSS per worker with the response cache full: {answers} distinct answers (100 "
        "reviews with their text each) sent to a gateway per budget, each asked twice; "
        "VmRSS in MiB after a warm-up of 50 answers, then after each fifth of the fill:",
        "",
        "| RESPONSE_CACHE_BYTES | answers' bytes | warm | 1/5 | 2/5 | 3/5 | 4/5 | full |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ends: list[float] = []
    for budget in BUDGETS_MIB:
        env = server_env(
            database_url,
            REDIS_URL=REDIS,
            REDIS_NAMESPACE=f"b-{uuid.uuid4().hex[:8]}",
            RATE_LIMIT_PER_MINUTE="0",
            API_V4_CACHE="true",
            SHADOW_SAMPLE_RATE="0",
            RESPONSE_CACHE="true",
            RESPONSE_CACHE_BYTES=str(budget * 1024 * 1024),
            **V4,
        )
        with gateway(env, workdir) as server:
            readings, sent = measure(server.url, server.process.pid, answers)
        cells = " | ".join(f"{kib / 1024:.1f}" for kib in readings)
        lines.append(f"| {budget} MiB | {sent / 1024 / 1024:.1f} MiB | {cells} |")
        ends.append(readings[-1] / 1024 - readings[0] / 1024)
    lines += [
        "",
        f"Growth from warm to full: {ends[0]:.1f} MiB with {BUDGETS_MIB[0]} MiB of budget, "
        f"{ends[1]:.1f} MiB with {BUDGETS_MIB[1]} MiB.",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=2)
    parser.add_argument("--answers", type=int, default=600)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir, seeded_database(options.scale) as url:
        print("\n".join(run(url, Path(workdir), options.answers)))


if __name__ == "__main__":
    main()
