"""Benchmark 6: cold start, from `jewgo serve` to the first 200 on /health.

    .venv/bin/python -m bench.coldstart [--runs 5]

Three starts, each run `--runs` times: on PostgreSQL + Redis with the schema already
migrated (a restart in production), the same with `--no-migrate`, and the embedded
SQLite database in an empty data directory (the first `make run`: migrate and seed).
/health is asked every 5 ms from the moment the process is spawned.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

import httpx

from bench.fleet import JEWGO, REDIS, seeded_database, server_env
from bench.machine import describe
from bench.results import write_section
from tests.support import JWT_SECRET, free_port, stop

TIMEOUT_SECONDS = 120.0


def start_seconds(env: Mapping[str, str], cwd: Path, *args: str) -> float:
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [JEWGO, "serve", "--port", str(port), *args],
        env=dict(env), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        with httpx.Client(timeout=1) as client:
            while time.perf_counter() - started < TIMEOUT_SECONDS:
                try:
                    if client.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                        return time.perf_counter() - started
                except httpx.TransportError:
                    pass
                if process.poll() is not None:
                    raise RuntimeError(f"jewgo serve exited with {process.returncode}")
                time.sleep(0.005)
        raise RuntimeError(f"no 200 on /health within {TIMEOUT_SECONDS} s")
    finally:
        stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    timings: dict[str, list[float]] = {
        "PostgreSQL + Redis, migrated": [],
        "PostgreSQL + Redis, `--no-migrate`": [],
        "embedded SQLite, empty data directory (migrate + seed)": [],
    }
    with tempfile.TemporaryDirectory() as workdir, seeded_database(1) as url:
        env = server_env(
            url, REDIS_URL=REDIS, REDIS_NAMESPACE=f"jewgo-bench-{uuid.uuid4().hex[:8]}"
        )
        embedded = {
            k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL"))
        } | {"LOG_LEVEL": "WARNING", "JWT_SECRET": JWT_SECRET, "CONSOLE": "false"}
        for run in range(options.runs):
            names = iter(timings)
            timings[next(names)].append(start_seconds(env, Path(workdir)))
            timings[next(names)].append(start_seconds(env, Path(workdir), "--no-migrate"))
            data_dir = Path(workdir) / f"data-{run}"
            timings[next(names)].append(
                start_seconds(embedded | {"DATA_DIR": str(data_dir)}, Path(workdir))
            )
    lines = [
        "## Cold start (`python -m bench.coldstart`)",
        "",
        f"Machine and date: {describe()}",
        "",
        f"From spawning `jewgo serve` to the first 200 on /health (asked every 5 ms); "
        f"median of {options.runs} starts each, alternating.",
        "",
        "| start | median s | slowest s |",
        "|---|---:|---:|",
        *(
            f"| {name} | {statistics.median(values):.2f} | {max(values):.2f} |"
            for name, values in timings.items()
        ),
    ]
    section = "\n".join(lines)
    print(section)
    write_section("coldstart", section)


if __name__ == "__main__":
    main()
