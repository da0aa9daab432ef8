"""What the shadow costs the requests it samples from: p50/p99 and requests/s of served
reads at SHADOW_SAMPLE_RATE 0, 0.05 and 0.25.

    .venv/bin/python -m bench.shadow [--scale 2] [--rounds 5] [--seconds 5]

Three `jewgo serve` processes on one seeded PostgreSQL database and one Redis, alike but
for their sample rate, with `api_v4_restaurants` at TESTING: every read is served by v3
and eligible for the shadow, which runs it again on v4 after the response (and v3 once
more for a SHADOW_NOISE_RATE share). wrk sends the benchmark's page query from 16
connections; the servers take turns, round after round, and each figure is the median over
the rounds. The shadow runs in the same process as the requests: its cost shows as the
latency and throughput the served requests lose.
"""

from __future__ import annotations

import argparse
import tempfile
import uuid
from contextlib import ExitStack
from pathlib import Path

from bench import load
from bench.cache import PAGE
from bench.fleet import REDIS, gateway, run_cli, seeded_database, server_env
from bench.machine import describe
from bench.results import write_section

RATES = ("0", "0.05", "0.25")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    options = parser.parse_args()
    body = {"query": PAGE}
    with tempfile.TemporaryDirectory() as workdir, seeded_database(options.scale) as url:
        base = server_env(
            url, REDIS_URL=REDIS, REDIS_NAMESPACE=f"jewgo-bench-{uuid.uuid4().hex[:8]}",
            RATE_LIMIT_PER_MINUTE="0", API_V4_ENABLED="true",
        )  # fmt: skip
        run_cli(base, "flags", "stage", "api_v4_restaurants", "testing", "--reason", "bench")
        with ExitStack() as stack:
            servers = {
                f"sample rate {rate}": stack.enter_context(
                    gateway({**base, "SHADOW_SAMPLE_RATE": rate}, Path(workdir))
                ).url
                for rate in RATES
            }
            rounds = load.alternate(
                servers, body, rounds=options.rounds, seconds=options.seconds,
                concurrency=options.concurrency, warmup=3,
            )  # fmt: skip
    rps = {name: load.median([r.rps for r in runs]) for name, runs in rounds.items()}
    baseline = f"sample rate {RATES[0]}"
    lines = [
        "## Shadow overhead (`python -m bench.shadow`)",
        "",
        f"Machine and date: {describe()}",
        "",
        f"PostgreSQL + Redis, seed scale {options.scale}; one worker per sample rate; "
        f"`api_v4_restaurants` at TESTING (v3 serves, the shadow compares with v4); "
        f"{options.concurrency} wrk connections; {options.rounds} alternating rounds of "
        f"{options.seconds:g} s; the benchmark's page query (20 restaurants, 3 reviews each "
        "with their authors).",
        "",
        "| server | requests/s | p50 ms | p99 ms | vs no shadow |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, runs in rounds.items():
        p50 = load.median([r.p50_ms for r in runs])
        p99 = load.median([r.p99_ms for r in runs])
        lines.append(
            f"| {name} | {rps[name]:.0f} | {p50:.1f} | {p99:.1f} | "
            f"{rps[name] / rps[baseline]:.2f}x |"
        )
    section = "\n".join(lines)
    print(section)
    write_section("shadow", section)


if __name__ == "__main__":
    main()
