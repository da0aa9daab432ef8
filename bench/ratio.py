"""Benchmark 2: the whole gateway (v4, cached) against a minimal Strawberry app
answering the same restaurant page from memory. Target: ratio of requests/s ≥ 0.85.

    .venv/bin/python -m bench.ratio [--scale 2] [--rounds 7] [--seconds 5]
                                    [--before GIT-REF]

Both serve one worker on loopback; the load generator alternates between them, round
after round, with the same query (20 restaurants, every scalar field, 3 reviews each
with their authors); each figure is the median over the rounds. `--before REF` adds
the gateway as it was at a git commit (checked out in a temporary worktree, run with
the same interpreter) to the same rounds: a before/after measured side by side.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from bench import load
from bench.cache import PAGE, V4
from bench.fleet import REDIS, gateway, seeded_database, server_env
from bench.machine import describe
from bench.results import write_section
from tests.support import free_port, serving

TARGET = 0.85
OURS, THEIRS = "gateway (v4, cached)", "minimal Strawberry"


@contextmanager
def worktree(ref: str) -> Iterator[Path]:
    """The repository at `ref`, checked out in a temporary directory."""
    with tempfile.TemporaryDirectory() as parent:
        path = Path(parent) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(path), ref], check=True,
                       capture_output=True)  # fmt: skip
        try:
            yield path
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(path)], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--section", default="ratio")
    parser.add_argument("--note", default="")
    parser.add_argument("--before", default=None, metavar="GIT-REF")
    options = parser.parse_args()
    body = {"query": PAGE}
    before = f"gateway at {options.before}" if options.before else None
    with tempfile.TemporaryDirectory() as workdir, seeded_database(options.scale) as url:
        env = server_env(
            url, REDIS_URL=REDIS, REDIS_NAMESPACE=f"jewgo-bench-{uuid.uuid4().hex[:8]}",
            RATE_LIMIT_PER_MINUTE="0", LOG_LEVEL="INFO", **V4, API_V4_CACHE="true",
        )  # fmt: skip
        port = free_port()
        baseline_command = [
            sys.executable, "-m", "bench.baseline", "--database", url, "--port", str(port),
        ]  # fmt: skip
        with ExitStack() as stack:
            ours = stack.enter_context(gateway(env, Path(workdir)))
            theirs = stack.enter_context(
                serving(
                    baseline_command, env | {"PYTHONPATH": str(Path.cwd())}, Path(workdir), port
                )
            )
            servers = {OURS: ours.url, THEIRS: theirs.url}
            if before:
                tree = stack.enter_context(worktree(options.before))
                old_port = free_port()
                old_command = [
                    sys.executable, "-c", "from gateway.cli import main; main()",
                    "serve", "--port", str(old_port), "--no-migrate",
                ]  # fmt: skip
                old_env = env | {"PYTHONPATH": str(tree), "REDIS_NAMESPACE": f"{uuid.uuid4().hex}"}
                servers[before] = stack.enter_context(
                    serving(old_command, old_env, tree, old_port)
                ).url
            answers = [
                httpx.post(f"{u}/graphql", json=body, timeout=30).json()["data"]
                for u in servers.values()
            ]
            assert all(a == answers[0] for a in answers), "all must answer the same page"
            rounds = load.alternate(
                servers, body, rounds=options.rounds, seconds=options.seconds,
                concurrency=options.concurrency, warmup=3,
            )  # fmt: skip
    rps = {name: load.median([r.rps for r in runs]) for name, runs in rounds.items()}
    ratio = rps[OURS] / rps[THEIRS]
    lines = [
        f"## Gateway vs a minimal Strawberry app (`python -m bench.ratio`){options.note}",
        "",
        f"Machine and date: {describe()}",
        "",
        f"PostgreSQL + Redis, seed scale {options.scale}; one worker each; "
        f"{options.concurrency} concurrent clients; {options.rounds} alternating rounds of "
        f"{options.seconds:g} s of wrk. Both answer the same 20 restaurants with every "
        "scalar field and 3 reviews each with their authors (checked equal); the minimal app "
        "holds them in memory, the gateway serves them through v4 and its Redis cache, with "
        "auth, flags, metrics, the JSON request log (to a file) and all limits on; the rate "
        "limit is off (every request comes from one address).",
        "",
        "| server | requests/s | p50 ms | p99 ms |",
        "|---|---:|---:|---:|",
    ]
    for name, runs in rounds.items():
        p50 = load.median([r.p50_ms for r in runs])
        p99 = load.median([r.p99_ms for r in runs])
        lines.append(f"| {name} | {rps[name]:.0f} | {p50:.1f} | {p99:.1f} |")
    verdict = "meets" if ratio >= TARGET else "misses"
    lines += ["", f"Ratio gateway / minimal: **{ratio:.2f}** ({verdict} the target of {TARGET})."]
    if before:
        lines += [
            "",
            f"The gateway as it was at `{options.before}`, in the same rounds: "
            f"**{rps[before] / rps[THEIRS]:.2f}** of the minimal app; the current one serves "
            f"{rps[OURS] / rps[before]:.2f}x its requests per second.",
        ]
    section = "\n".join(lines)
    print(section)
    write_section(options.section, section)


if __name__ == "__main__":
    main()
