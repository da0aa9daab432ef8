"""Benchmark 4: a flag change made through one instance, in force on another.
Target: p99 at most 1 s over 50 changes.

    .venv/bin/python -m bench.propagation [--changes 50] [--rounds 3]

Two `jewgo serve` processes share PostgreSQL and Redis. An admin moves
`api_v4_restaurants` between DISABLED and FULL through instance A; from the moment A
answers (the change is committed and published) a client asks instance B every 2 ms
which version serves restaurants, until B answers with the new one. Each round makes
`--changes` changes; figures are the medians over the rounds, and the p99 of all.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from bench.fleet import REDIS, gateway, seeded_database, server_env
from bench.machine import describe
from bench.results import write_section
from jewgo.gateway.request.auth import Tokens
from tests.support import ADMIN_ID, JWT_SECRET

TARGET_SECONDS = 1.0
PROBE = {"query": "{ restaurants(first: 1) { edges { node { id } } } }"}
TIMEOUT_SECONDS = 10.0


def post(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    reply: dict[str, Any] = client.post("/graphql", json=body).json()
    assert not reply.get("errors"), reply
    return reply


def set_stage(client: httpx.Client, name: str, stage: str) -> None:
    """Straight to `stage`, past any stage between (forced, as a jump must be)."""
    mutation = (
        f'mutation {{ setFlagStage(name: "{name}", stage: {stage}, force: true, '
        'reason: "propagation bench") { version } }'
    )
    post(client, {"query": mutation})


def seconds_until_served(client: httpx.Client, version: str) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < TIMEOUT_SECONDS:
        if post(client, PROBE)["extensions"]["versions"]["restaurants"] == version:
            return time.perf_counter() - started
        time.sleep(0.002)
    raise AssertionError(f"instance B did not serve {version} within {TIMEOUT_SECONDS} s")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    admin = {"Authorization": f"Bearer {Tokens(JWT_SECRET, 3600).issue(ADMIN_ID)}"}
    rounds: list[list[float]] = []
    with tempfile.TemporaryDirectory() as workdir, seeded_database(1) as url:
        env = server_env(
            url, REDIS_URL=REDIS, REDIS_NAMESPACE=f"jewgo-bench-{uuid.uuid4().hex[:8]}"
        )
        with ExitStack() as stack:
            one = stack.enter_context(gateway(env, Path(workdir)))
            two = stack.enter_context(gateway(env, Path(workdir)))
            a = stack.enter_context(httpx.Client(base_url=one.url, headers=admin, timeout=10))
            b = stack.enter_context(httpx.Client(base_url=two.url, timeout=10))
            set_stage(a, "api_v4_enabled", "FULL")
            seconds_until_served(b, "v3")
            for _ in range(options.rounds):
                delays = []
                for change in range(options.changes):
                    stage, version = ("FULL", "v4") if change % 2 == 0 else ("DISABLED", "v3")
                    set_stage(a, "api_v4_restaurants", stage)
                    delays.append(seconds_until_served(b, version))
                rounds.append(delays)
    every = [d for delays in rounds for d in delays]
    p50 = statistics.median(percentile(r, 0.50) for r in rounds) * 1000
    p99 = statistics.median(percentile(r, 0.99) for r in rounds) * 1000
    overall = percentile(every, 0.99)
    verdict = "meets" if overall <= TARGET_SECONDS else "misses"
    lines = [
        "## Flag propagation between two instances (`python -m bench.propagation`)",
        "",
        f"Machine and date: {describe()}",
        "",
        f"Two `jewgo serve` processes on PostgreSQL + Redis; {options.rounds} rounds of "
        f"{options.changes} stage changes made through instance A, each timed from A's "
        "answer until instance B serves the new version (B asked every 2 ms).",
        "",
        "| figure | ms |",
        "|---|---:|",
        f"| p50 per round (median of rounds) | {p50:.1f} |",
        f"| p99 per round (median of rounds) | {p99:.1f} |",
        f"| p99 of all {len(every)} changes | {overall * 1000:.1f} |",
        f"| slowest change | {max(every) * 1000:.1f} |",
        "",
        f"The p99 {verdict} the target of {TARGET_SECONDS:.0f} s: a change reaches the "
        "other instances by Redis pub/sub, and the revision poll "
        "(FLAG_POLL_SECONDS) catches any message that is lost.",
    ]
    section = "\n".join(lines)
    print(section)
    write_section("propagation", section)


if __name__ == "__main__":
    main()
