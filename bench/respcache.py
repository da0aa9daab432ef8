"""Benchmark 5: the response cache against the physical limit, with wrk.

    .venv/bin/python -m bench.respcache [--scale 2] [--rounds 5] [--seconds 6]
                                        [--before GIT-REF]

Servers, one worker each, side by side in alternating rounds (medians): raw Starlette
returning the gateway's response bytes; the minimal Strawberry app (`bench.baseline`);
the gateway with the response cache, asked anonymously and by a signed-in user; the
gateway without it (v4 and its data cache only). Targets (issue 14): anonymous cached
≥ 0.5 x raw, signed-in cached ≥ 0.3 x raw. `--before REF` adds the cached gateway as
it was at a git commit (a temporary worktree, the same interpreter), anonymous and
signed in, to the same rounds. Then, on the cached gateway, the page size (`first` 10 …
100) cached against uncached, a mix of 90 % reads and 10 % writes, and the RSS of a
worker as the response cache fills two byte budgets (`bench.rss`).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import load, mixed, rss
from bench.cache import PAGE, V4
from bench.fleet import REDIS, gateway, seeded_database, server_env
from bench.machine import describe
from bench.ratio import worktree
from bench.results import write_section
from jewgo.gateway.request.auth import Tokens
from tests.support import ADMIN_ID, JWT_SECRET, USER_ID, Server, free_port, serving

RAW, MINIMAL = "raw Starlette, same bytes", "minimal Strawberry"
ANON, SIGNED = "gateway, response cache (anonymous)", "gateway, response cache (signed in)"
WITHOUT = "gateway without it (v4 data cache)"
TARGETS = {ANON: 0.5, SIGNED: 0.3}


@dataclass(frozen=True)
class Target:
    url: str
    headers: dict[str, str]


def measure(
    targets: dict[str, Target], body: dict[str, Any], *, rounds: int, seconds: float, c: int
) -> dict[str, list[load.Round]]:
    for target in targets.values():
        load.run(target.url, body, seconds=2, concurrency=c, headers=target.headers)
    results: dict[str, list[load.Round]] = {name: [] for name in targets}
    for _ in range(rounds):
        for name, target in targets.items():
            found = load.run(
                target.url, body, seconds=seconds, concurrency=c, headers=target.headers
            )
            assert found.failures == 0, f"{name}: {found.first_failure}"
            results[name].append(found)
    return results


def table(results: dict[str, list[load.Round]], reference: str) -> list[str]:
    rps = {name: load.median([r.rps for r in runs]) for name, runs in results.items()}
    lines = ["| server | requests/s | x raw | p50 ms | p99 ms |", "|---|---:|---:|---:|---:|"]
    for name, runs in results.items():
        p50 = load.median([r.p50_ms for r in runs])
        p99 = load.median([r.p99_ms for r in runs])
        ratio = rps[name] / rps[reference]
        lines.append(f"| {name} | {rps[name]:.0f} | {ratio:.3f} | {p50:.1f} | {p99:.1f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--before", default=None, metavar="GIT-REF")
    options = parser.parse_args()
    body = {"query": PAGE}
    token = Tokens(JWT_SECRET, 3600).issue(USER_ID)
    signed = {"Authorization": f"Bearer {token}"}
    with tempfile.TemporaryDirectory() as workdir, seeded_database(options.scale) as url:
        common = dict(REDIS_URL=REDIS, RATE_LIMIT_PER_MINUTE="0", LOG_LEVEL="INFO", **V4)
        env = server_env(url, **common, API_V4_CACHE="true", SHADOW_SAMPLE_RATE="0")
        cached_env = env | {
            "RESPONSE_CACHE": "true",
            "REDIS_NAMESPACE": f"b-{uuid.uuid4().hex[:8]}",
        }
        plain_env = env | {"REDIS_NAMESPACE": f"b-{uuid.uuid4().hex[:8]}"}
        with ExitStack() as stack:
            cached = stack.enter_context(gateway(cached_env, Path(workdir)))
            plain = stack.enter_context(gateway(plain_env, Path(workdir)))
            reply = httpx.post(f"{plain.url}/graphql", json=body, timeout=30)
            stored = Path(workdir) / "body.json"
            stored.write_bytes(reply.content)
            port = free_port()
            raw_command = [
                sys.executable,
                "-m",
                "bench.raw",
                "--body",
                str(stored),
                "--port",
                str(port),
            ]
            raw = stack.enter_context(
                serving(raw_command, env | {"PYTHONPATH": str(Path.cwd())}, Path(workdir), port)
            )
            port = free_port()
            minimal_command = [
                sys.executable,
                "-m",
                "bench.baseline",
                "--database",
                url,
                "--port",
                str(port),
            ]
            minimal = stack.enter_context(
                serving(minimal_command, env | {"PYTHONPATH": str(Path.cwd())}, Path(workdir), port)
            )
            for headers in ({}, signed):
                again = httpx.post(
                    f"{cached.url}/graphql",
                    json=body,
                    headers={**headers, "X-Response-Cache": "1"},
                    timeout=30,
                )
                assert again.json()["data"] == reply.json()["data"]
                hit = httpx.post(
                    f"{cached.url}/graphql",
                    json=body,
                    headers={**headers, "X-Response-Cache": "1"},
                    timeout=30,
                )
                assert hit.json()["extensions"]["cache"] == "HIT", hit.json()["extensions"]
            targets = {
                RAW: Target(raw.url, {}),
                MINIMAL: Target(minimal.url, {}),
                ANON: Target(cached.url, {}),
                SIGNED: Target(cached.url, signed),
                WITHOUT: Target(plain.url, {}),
            }
            if options.before:
                old = stack.enter_context(old_gateway(options.before, cached_env, Path(workdir)))
                targets[f"{ANON}, at {options.before}"] = Target(old.url, {})
                targets[f"{SIGNED}, at {options.before}"] = Target(old.url, signed)
            results = measure(
                targets, body, rounds=options.rounds, seconds=options.seconds, c=options.concurrency
            )
            sizes = page_sizes(cached.url, plain.url, options)
            try:
                mix = mixed_load(cached.url, plain.url, options)
            except Exception as exc:  # the figures above still go into RESULTS.md
                mix = [f"The mixed load failed: {exc!r}"]
        memory = rss.run(url, Path(workdir), 600)
    rps = {name: load.median([r.rps for r in runs]) for name, runs in results.items()}
    lines = [
        "## The response cache against raw Starlette (`python -m bench.respcache`)",
        "",
        f"Machine and date: {describe()}",
        "",
        f"PostgreSQL + Redis, seed scale {options.scale}; one worker each; wrk with "
        f"{options.concurrency} connections, {options.rounds} alternating rounds of "
        f"{options.seconds:g} s, medians. The page: `bench.cache.PAGE` (20 restaurants, every "
        "scalar field, 3 reviews each with their authors). Every gateway runs auth, flags, "
        "rate limit (off: one address), metrics and the JSON request log; the signed-in "
        "caller's role is read from the users table at most every ROLE_CACHE_SECONDS "
        "(1 s) and at once after a write to their row.",
        "",
        *table(results, RAW),
        "",
    ]
    for name, target in TARGETS.items():
        ratio = rps[name] / rps[RAW]
        verdict = "meets" if ratio >= target else "misses"
        lines.append(f"- {name}: **{ratio:.3f}** x raw ({verdict} the target of {target}).")
    lines.append(
        f"- without the response cache / minimal Strawberry: **{rps[WITHOUT] / rps[MINIMAL]:.2f}**."
    )
    if options.before:
        for name in (ANON, SIGNED):
            then = rps[f"{name}, at {options.before}"]
            lines.append(
                f"- {name}: {rps[name] / then:.2f}x the requests per second it served at "
                f"`{options.before}` ({then / rps[RAW]:.3f} x raw then), in the same rounds."
            )
    lines += ["", *sizes, "", *mix, "", *memory]
    section = "\n".join(lines)
    print(section)
    write_section("respcache", section)


@contextmanager
def old_gateway(ref: str, env: dict[str, str], workdir: Path) -> Iterator[Server]:
    """The gateway as it was at `ref`, on its own Redis namespace."""
    with worktree(ref) as tree:
        port = free_port()
        command = [
            sys.executable, "-c", "from jewgo.gateway.cli import main; main()",
            "serve", "--port", str(port), "--no-migrate",
        ]  # fmt: skip
        old_env = env | {"PYTHONPATH": str(tree), "REDIS_NAMESPACE": f"b-{uuid.uuid4().hex[:8]}"}
        with serving(command, old_env, workdir, port) as server:
            yield server


def page_sizes(cached: str, plain: str, options: argparse.Namespace) -> list[str]:
    """Time per request as the page grows, cached against uncached (v4 data cache)."""
    lines = [
        "Page size (`first`), the same page shape, 2 rounds of 3 s each:",
        "",
        "| first | cached req/s | cached p50 ms | uncached req/s | uncached p50 ms |",
        "|---:|---:|---:|---:|---:|",
    ]
    for first in (10, 20, 50, 100):
        body = {"query": PAGE.replace("first: 20", f"first: {first}")}
        targets = {"cached": Target(cached, {}), "plain": Target(plain, {})}
        found = measure(targets, body, rounds=2, seconds=3, c=options.concurrency)
        cells = []
        for name in ("cached", "plain"):
            cells += [
                f"{load.median([r.rps for r in found[name]]):.0f}",
                f"{load.median([r.p50_ms for r in found[name]]):.1f}",
            ]
        lines.append(f"| {first} | " + " | ".join(cells) + " |")
    return lines


def mixed_load(cached: str, plain: str, options: argparse.Namespace) -> list[str]:
    """90 % reads of 20 restaurant pages, 10 % renames of one of them, alternating."""
    admin = Tokens(JWT_SECRET, 3600).issue(ADMIN_ID)
    found: dict[str, list[dict[str, float]]] = {"cached": [], "plain": []}
    for _ in range(3):
        for name, url in (("cached", cached), ("plain", plain)):
            result = mixed.run(url, admin, seconds=5, concurrency=options.concurrency)
            assert result["failures"] == 0, (name, result)
            found[name].append(result)
    lines = [
        "Mixed load: 90 % reads of 20 restaurant pages (`restaurant(id)` with 3 reviews and "
        "authors), 10 % renames of one of them by an ADMIN, 3 alternating rounds of 5 s; the "
        "hit ratio from the gateway's own counters:",
        "",
        "| gateway | requests/s | p50 ms | p99 ms | hit ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, label in (("cached", "with the response cache"), ("plain", "without it")):
        runs = found[name]
        cells = [load.median([r[k] for r in runs]) for k in ("rps", "p50", "p99", "hit_ratio")]
        lines.append(
            f"| {label} | {cells[0]:.0f} | {cells[1]:.1f} | {cells[2]:.1f} | {cells[3]:.2f} |"
        )
    return lines


if __name__ == "__main__":
    main()
