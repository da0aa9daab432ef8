"""v3 vs v4 uncached vs v4 cached on the same query, through the whole gateway.

    .venv/bin/python -m bench.cache [--scale 2] [--rounds 5] [--seconds 5]

Three `jewgo serve` processes on one seeded PostgreSQL database and one Redis, one per
variant (the environment forces the versions and the cache flag). A load generator on
loopback sends the same page query (20 restaurants, every scalar field, 3 reviews each
with their authors) from 16 concurrent clients; the variants take turns, round after
round, and each figure is the median over the rounds.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import uuid
from contextlib import ExitStack
from pathlib import Path

import httpx

from bench import load
from bench.fleet import REDIS, gateway, seeded_database, server_env
from bench.machine import describe
from bench.results import write_section

V4 = {
    "API_V4_ENABLED": "true",
    "API_V4_RESTAURANTS": "true",
    "API_V4_REVIEWS": "true",
    "API_V4_USERS": "true",
    "API_V4_STATISTICS": "true",
}
RESTAURANT = """id name address city state zipCode phone website kosherCategory certifyingAgency
  isCholovYisroel isPasYisroel priceRange latitude longitude status averageRating reviewCount
  distanceKm createdAt updatedAt"""
PAGE = (
    "query Page { restaurants(first: 20) { edges { node { "
    + RESTAURANT
    + " reviews(first: 3) { edges { node { id rating title content status createdAt updatedAt"
    " author { id name } } } } } } } }"
)
VARIANTS = {
    "v3": {},
    "v4, cache off": {**V4, "API_V4_CACHE": "false"},
    "v4, cache on": {**V4, "API_V4_CACHE": "true"},
}


def statements_per_request(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    total = float(re.search(r"^jewgo_sql_statements_per_request_sum ([\d.e+]+)", text, re.M)[1])  # type: ignore[index]
    count = float(re.search(r"^jewgo_sql_statements_per_request_count ([\d.e+]+)", text, re.M)[1])  # type: ignore[index]
    return total / count if count else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    options = parser.parse_args()
    body = {"query": PAGE}
    statements: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as workdir, seeded_database(options.scale) as url:
        namespace = f"jewgo-bench-{uuid.uuid4().hex[:8]}"
        with ExitStack() as stack:
            servers = {
                name: stack.enter_context(
                    gateway(
                        server_env(
                            url,
                            REDIS_URL=REDIS,
                            REDIS_NAMESPACE=namespace,
                            RATE_LIMIT_PER_MINUTE="0",
                            **env,
                        ),
                        Path(workdir),
                    )
                )
                for name, env in VARIANTS.items()
            }
            rounds = load.alternate(
                {name: server.url for name, server in servers.items()}, body,
                rounds=options.rounds, seconds=options.seconds,
                concurrency=options.concurrency, warmup=3,
            )  # fmt: skip
            statements = {name: statements_per_request(s.url) for name, s in servers.items()}

    rps = {name: load.median([r.rps for r in runs]) for name, runs in rounds.items()}
    lines = [
        "## v3 vs v4 uncached vs v4 cached (`python -m bench.cache`)",
        "",
        f"Machine and date: {describe()}",
        "",
        f"PostgreSQL + Redis on loopback, seed scale {options.scale}, one worker per variant; "
        f"{options.concurrency} concurrent clients; {options.rounds} alternating rounds of "
        f"{options.seconds:g} s of wrk each. The query: 20 restaurants with every scalar "
        "field and 3 reviews each with their authors. The rate limit is off: every request "
        "comes from one address, and it would measure the limiter instead.",
        "",
        "| variant | requests/s | p50 ms | p99 ms | SQL statements / request | vs v3 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, runs in rounds.items():
        p50 = load.median([r.p50_ms for r in runs])
        p99 = load.median([r.p99_ms for r in runs])
        lines.append(
            f"| {name} | {rps[name]:.0f} | {p50:.1f} | {p99:.1f} | {statements[name]:.1f} | "
            f"{rps[name] / rps['v3']:.2f}x |"
        )
    lines.append("")
    lines.append(
        f"Cached v4 serves {rps['v4, cache on'] / rps['v4, cache off']:.2f}x the requests per "
        "second of uncached v4 on the same query."
    )
    section = "\n".join(lines)
    print(section)
    write_section("cache", section)


if __name__ == "__main__":
    main()
