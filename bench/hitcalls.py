"""The response cache's HIT counted, not timed: Python calls per HIT, now and at a commit.

    .venv/bin/python -m bench.hitcalls --before GIT-REF [--requests 2000] [--scale 2]

wrk's requests/s on a shared two-core machine moves by 10 % from one pair of server
processes to the next (see RESULTS.md, "The HIT, counted"); a call count does not. Each
tree (this one, and `--before` in a temporary worktree, the same interpreter) builds the
gateway in its own process as `jewgo serve` does (`app_from_environment`, the respcache
settings: v4, data and response cache, INFO log), warms the HIT, then sends `--requests`
identical HITs straight through the ASGI app under cProfile, anonymously and signed in.
Printed: calls per HIT, CPU µs per HIT without the profiler (a rough figure: the machine
is shared), and the functions whose calls per HIT differ.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()


def _name(filename: str, function: str) -> str:
    """A function's name, alone for our modules (issue 23 moved them), else with its file."""
    if filename.startswith(os.environ["PYTHONPATH"]) and "site-packages" not in filename:
        return f"jewgo:{function}"
    base = re.sub(r".*site-packages/", "", filename).rsplit("/", 1)[-1]
    return f"{base}:{function}"


async def _child(database: str, requests: int, signed: bool) -> dict[str, Any]:
    import importlib

    from bench.cache import PAGE, V4
    from bench.fleet import REDIS, server_env
    from tests.support import JWT_SECRET, USER_ID

    env = server_env(
        database, REDIS_URL=REDIS, RATE_LIMIT_PER_MINUTE="0", LOG_LEVEL="INFO", **V4,
        API_V4_CACHE="true", SHADOW_SAMPLE_RATE="0", RESPONSE_CACHE="true",
        REDIS_NAMESPACE=f"b-{uuid.uuid4().hex[:8]}",
    )  # fmt: skip
    os.environ.clear()
    os.environ.update(env)
    try:  # where the modules are since the reshaping of issue 23, else before it
        app_module = importlib.import_module("jewgo.gateway.wiring.app")
        auth = importlib.import_module("jewgo.gateway.request.auth")
    except ImportError:
        app_module = importlib.import_module("jewgo.gateway.app")
        auth = importlib.import_module("jewgo.gateway.auth")
    body = json.dumps({"query": PAGE}, ensure_ascii=True).encode()
    headers = [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]  # fmt: skip
    if signed:
        token = auth.Tokens(JWT_SECRET, 3600).issue(USER_ID)
        headers.append((b"authorization", f"Bearer {token}".encode()))
    app = app_module.app_from_environment()
    state: dict[str, Any] = {}
    lifespan: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    started = asyncio.Event()

    async def life_send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()

    await lifespan.put({"type": "lifespan.startup"})
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": state}
    life = asyncio.create_task(app(scope, lifespan.get, life_send))
    await started.wait()

    async def one(*extra: tuple[bytes, bytes]) -> bytes:
        request = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000), "scheme": "http",
            "method": "POST", "root_path": "", "path": "/graphql", "raw_path": b"/graphql",
            "query_string": b"", "headers": [*headers, *extra], "state": state.copy(),
        }  # fmt: skip
        given = [{"type": "http.request", "body": body, "more_body": False}]
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            if given:
                return given.pop()
            await asyncio.sleep(3600)
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await app(request, receive, send)
        return b"".join(chunks)

    await one((b"x-response-cache", b"1"))
    answer = json.loads(await one((b"x-response-cache", b"1")))
    assert answer["extensions"]["cache"] == "HIT", answer.get("extensions")
    for _ in range(200):
        await one()
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(requests):
        await one()
    profile.disable()
    began = time.process_time()
    for _ in range(requests):
        await one()
    cpu = time.process_time() - began
    await lifespan.put({"type": "lifespan.shutdown"})
    await asyncio.wait_for(life, 30)
    calls: dict[str, float] = {}
    stats: dict[Any, Any] = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    for (filename, _, function), (_, count, *_) in stats.items():
        name = _name(filename, function)
        calls[name] = calls.get(name, 0) + count / requests
    return {"calls": sum(calls.values()), "cpu_us": 1e6 * cpu / requests, "functions": calls}


def measure(tree: Path, database: str, requests: int, signed: bool) -> dict[str, Any]:
    command = [sys.executable, str(HERE), "--child", database, "--requests", str(requests)]
    if signed:
        command.append("--signed")
    env = os.environ | {"PYTHONPATH": str(tree)}
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    found: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return found


def report(name: str, now: dict[str, Any], then: dict[str, Any], ref: str) -> list[str]:
    lines = [
        f"{name}: {now['calls']:.1f} calls per HIT ({then['calls']:.1f} at {ref}); "
        f"CPU {now['cpu_us']:.0f} µs ({then['cpu_us']:.0f} at {ref}), unprofiled, rough",
    ]
    before, after = then["functions"], now["functions"]
    moved = {k: after.get(k, 0) - before.get(k, 0) for k in set(before) | set(after)}
    for key, delta in sorted(moved.items(), key=lambda kv: -abs(kv[1]))[:15]:
        if abs(delta) >= 0.5:
            lines.append(
                f"  {delta:+6.1f}  {key}  ({before.get(key, 0):.1f} -> {after.get(key, 0):.1f})"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", metavar="GIT-REF")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--scale", type=int, default=2)
    parser.add_argument("--child", metavar="DATABASE-URL", help=argparse.SUPPRESS)
    parser.add_argument("--signed", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        sys.path.insert(0, os.environ["PYTHONPATH"])
        print(json.dumps(asyncio.run(_child(options.child, options.requests, options.signed))))
        return
    if not options.before:
        parser.error("--before GIT-REF is needed: the counts are compared with it")
    from bench.fleet import seeded_database
    from bench.ratio import worktree

    with seeded_database(options.scale) as url, worktree(options.before) as old:
        for name, signed in (("anonymous HIT", False), ("signed-in HIT", True)):
            now = measure(Path.cwd(), url, options.requests, signed)
            then = measure(old, url, options.requests, signed)
            print("\n".join(report(name, now, then, options.before)))


if __name__ == "__main__":
    main()
