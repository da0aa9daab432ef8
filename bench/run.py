"""Every benchmark, one after another, each rewriting its section of bench/RESULTS.md.

    .venv/bin/python -m bench.run [name ...]      (make bench)

Needs PostgreSQL and Redis (BENCH_POSTGRES_URL, BENCH_REDIS_URL; the defaults are the
local ones). Each benchmark runs in a process of its own; they take about 15 minutes
together on two cores.
"""

from __future__ import annotations

import subprocess
import sys
import time

BENCHMARKS = (
    "decide",
    "ratio",
    "cache",
    "shadow",
    "propagation",
    "memory",
    "coldstart",
    "respcache",
    "console",
)


def main() -> None:
    chosen = sys.argv[1:] or list(BENCHMARKS)
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    for name in chosen:
        started = time.monotonic()
        print(f"== bench.{name}", flush=True)
        subprocess.run([sys.executable, "-m", f"bench.{name}"], check=True)
        print(f"== bench.{name}: {time.monotonic() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
