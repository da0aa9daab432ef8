"""What the most expensive hostile requests cost a live gateway on PostgreSQL.

    .venv/bin/python -m bench.hostile [--jewgo PATH] [--label after] [--repeat 1]

Creates a database of its own (seed scale 1, through the `jewgo` under test: `--jewgo`
may name another tree's, such as an older commit's), starts `jewgo serve` on it, sends each
request of bench/hostile_requests.py once, cold (`--repeat N`: N times, each a new text,
unless it takes over 10 s; the medians), and reports its bytes, the HTTP status and error
code, wall time, the CPU time of the gateway's processes (the sum of
`/proc/<pid>/task/*/schedstat` over the server's session: nanoseconds, where
`/proc/<pid>/stat` counts 10 ms ticks) and of the
database's backends for this database (the same, for the pids of `pg_stat_activity`),
and the SQL statements the gateway ran (its own `jewgo_sql_statements_per_request_sum`,
counted by SQLAlchemy's `before_cursor_execute` on every statement sent). The database is
dropped afterwards; the table goes to bench/RESULTS.md under `hostile-<label>`.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt

from bench.hostile_requests import PAGE, REQUESTS, Facts, Hostile
from bench.machine import describe
from bench.results import write_section
from tests.support import JWT_SECRET, Server, free_port, serving

TIMEOUT = 120.0
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-Atc"]
ENV = {"LOG_LEVEL": "WARNING", "JWT_SECRET": JWT_SECRET, "RATE_LIMIT_PER_MINUTE": "0",
       "SHADOW_SAMPLE_RATE": "0", "PATH": "/usr/bin:/bin"}  # fmt: skip


def psql(statement: str) -> str:
    return subprocess.run([*PSQL, statement], check=True, capture_output=True, text=True).stdout


def cpu_ns(pids: list[int]) -> int:
    """Nanoseconds on a CPU of every thread of these processes so far."""
    total = 0
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").glob("*"):
            with suppress(OSError, ValueError, IndexError):  # gone meanwhile
                total += int((task / "schedstat").read_text().split()[0])
    return total


def session_pids(sid: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:
            pids.append(int(stat.parent.name))
    return pids


def backend_pids(database: str) -> list[int]:
    found = psql(f"SELECT pid FROM pg_stat_activity WHERE datname = '{database}'")
    return [int(line) for line in found.split()]


def statements(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=30).text
    found = re.search(r"^jewgo_sql_statements_per_request_sum ([\d.e+]+)", text, re.M)
    return float(found[1]) if found else 0.0


@contextmanager
def database(jewgo: str, workdir: Path) -> Iterator[tuple[str, dict[str, str]]]:
    name = f"jewgo_hostile_{uuid.uuid4().hex[:8]}"
    psql(f'CREATE DATABASE "{name}"')
    env = {**ENV, "DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"}
    try:
        subprocess.run([jewgo, "seed", "--scale", "1"], env=env, cwd=workdir, check=True,
                       capture_output=True)  # fmt: skip
        yield name, env
    finally:
        psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Sample:
    status: int
    code: str
    wall_ms: float
    gateway_ms: float
    postgres_ms: float
    statements: float


def code_of(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return "(not JSON)"
    items = body if isinstance(body, list) else [body]
    found = {e.get("extensions", {}).get("code", "?") for i in items for e in i.get("errors") or []}
    return ", ".join(sorted(found)) or "-"


def measure(server: Server, name: str, request: Hostile, http: httpx.Client) -> Sample:
    gateway, backends = session_pids(server.process.pid), backend_pids(name)
    before = (cpu_ns(gateway), cpu_ns(backends), statements(server.url))
    started = time.perf_counter()
    try:
        response = http.request(request.method, request.url, content=request.body or None,
                                headers=request.headers)  # fmt: skip
        status, code = response.status_code, code_of(response)
    except httpx.TimeoutException:  # the caller restarts the server: it may be busy for long
        status, code = 0, f"no answer within {TIMEOUT:.0f} s"
    wall = time.perf_counter() - started
    time.sleep(0.2)  # the request's accounting ends after its answer is sent
    backends = sorted(set(backends) | set(backend_pids(name)))
    return Sample(
        status, code, wall * 1000, (cpu_ns(session_pids(server.process.pid)) - before[0]) / 1e6,
        (cpu_ns(backends) - before[1]) / 1e6,
        statements(server.url) - before[2] if status else float("nan"),
    )  # fmt: skip


def decode_cursor(cursor: str) -> list[str]:
    return list(json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))))


def facts(http: httpx.Client) -> Facts:
    def sign(sub: object) -> str:
        now = int(time.time())
        return "Bearer " + jwt.encode({"sub": sub, "iat": now, "exp": now + 3600}, JWT_SECRET)

    lists = {}
    for order in ("NAME", "RATING", "NEWEST"):
        body = {"query": PAGE, "variables": {"o": order}}
        page = http.post("/graphql", json=body).json()["data"]["restaurants"]
        kind, scope, *_ = decode_cursor(page["pageInfo"]["endCursor"])
        lists[order] = (kind, scope)
    return Facts(admin=sign("1"), sign=sign, lists=lists)


def run(jewgo: str, repeat: int) -> list[tuple[str, int, Sample]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp, database(jewgo, Path(tmp)) as (name, env):
        titles = iter(REQUESTS.items())
        while True:  # a server per run of requests: one that gave no answer is replaced
            port = free_port()
            command = [jewgo, "serve", "--port", str(port), "--no-migrate"]
            with serving(command, env, Path(tmp), port) as server, httpx.Client(
                base_url=server.url, timeout=TIMEOUT
            ) as http:  # fmt: skip
                known = facts(http)
                for title, build in titles:
                    request = build(known)
                    samples = [measure(server, name, request, http)]
                    while len(samples) < repeat and samples[0].wall_ms < 10_000:
                        samples.append(measure(server, name, build(known), http))
                    print(title, samples[-1], flush=True)
                    rows.append((title, request.size, median(samples)))
                    if not samples[0].status:
                        break
                else:
                    return rows


def median(samples: list[Sample]) -> Sample:
    def mid(values: list[float]) -> float:
        return statistics.median(values)

    return Sample(
        samples[-1].status, samples[-1].code, mid([s.wall_ms for s in samples]),
        mid([s.gateway_ms for s in samples]), mid([s.postgres_ms for s in samples]),
        mid([s.statements for s in samples]),
    )  # fmt: skip


def table(rows: list[tuple[str, int, Sample]]) -> str:
    lines = [
        "| request | bytes | HTTP | code | wall ms | gateway CPU ms | gateway CPU µs/byte "
        "| PostgreSQL CPU ms | SQL statements |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for title, size, s in rows:
        lines.append(
            f"| {title} | {size:,} | {s.status} | {s.code} | {s.wall_ms:,.1f} | "
            f"{s.gateway_ms:,.1f} | {1000 * s.gateway_ms / size:,.2f} | {s.postgres_ms:,.1f} | "
            f"{'-' if math.isnan(s.statements) else f'{s.statements:,.0f}'} |"
        )
    return "\n".join(lines)


def main() -> None:
    # Stopped (SIGTERM), it still stops its server and drops its database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jewgo", default=str(Path(sys.executable).parent / "jewgo"))
    parser.add_argument("--label", default="after")
    parser.add_argument("--commit", default="")
    parser.add_argument("--repeat", type=int, default=1)
    options = parser.parse_args()
    rows = run(options.jewgo, options.repeat)
    commit = f" at {options.commit}" if options.commit else ""
    runs = (
        "each request sent once, cold: a document of the same structure is answered from "
        "caches that a comment does not defeat (the AST has no comments)"
        if options.repeat == 1
        else f"medians of {options.repeat} runs (1 when a run takes over 10 s)"
    )
    write_section(
        f"hostile-{options.label}",
        f"## Hostile requests, {options.label}{commit} (`python -m bench.hostile`)\n\n"
        f"Machine and date: {describe()}\n\n"
        f"One `jewgo serve` on PostgreSQL (seed scale 1), rate limits and shadow off; "
        f"{runs}. CPU is time on a "
        f"CPU of the gateway's processes and of this database's backends; statements are "
        f"the gateway's own count of SQL sent.\n\n" + table(rows),
    )


if __name__ == "__main__":
    main()
