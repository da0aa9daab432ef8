"""What the most expensive hostile requests cost a live gateway on PostgreSQL.

    .venv/bin/python -m bench.hostile [--jewgo PATH] [--label after] [--repeat 1] [--only T]

Creates a database of its own (seed scale 1, through the `jewgo` under test: `--jewgo`
may name another tree's, such as an older commit's), starts `jewgo serve` on it, sends each
request of bench/hostile_requests.py once, cold (`--repeat N`: N times, each a new text,
unless it takes over 10 s; the medians), and reports its bytes, the HTTP status and error
code, wall time, the CPU time of the gateway's processes (the sum of
`/proc/<pid>/task/*/schedstat` over the server's session: nanoseconds, where
`/proc/<pid>/stat` counts 10 ms ticks) and of the
database's backends for this database (the same, for the pids of `pg_stat_activity`),
and the SQL statements the gateway ran (its own `jewgo_sql_statements_per_request_sum`,
counted by SQLAlchemy's `before_cursor_execute` on every statement sent), and the worst
event-loop lag while it ran (the upper bound of the highest bucket of the gateway's
`jewgo_event_loop_lag_seconds` that it reached; the run's exact worst from
`jewgo_event_loop_lag_max_seconds`). Then the SERIES (issue 22): n, 2n, 4n and 8n copies
of one selection, the CPU of each and its ratio to the one before. `--only TEXT` (again
for more) sends only the requests whose title holds TEXT. The database is dropped
afterwards; the tables go to bench/RESULTS.md under `hostile-<label>`.
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt

from bench.hostile_requests import PAGE, REQUESTS, SERIES, Facts, Hostile, copies, post
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


LAG_BUCKET = re.compile(r'^jewgo_event_loop_lag_seconds_bucket\{le="([^"]+)"\} ([\d.e+]+)', re.M)


@dataclass(frozen=True)
class Scrape:
    """What the gateway's /metrics said at one moment."""

    statements: float
    lags: dict[float, float]  # wake-ups so far with at most this lag (s), by bucket bound
    worst_lag: float  # seconds, since the gateway started

    @classmethod
    def of(cls, url: str) -> Scrape:
        text = httpx.get(f"{url}/metrics", timeout=30).text
        found = re.search(r"^jewgo_sql_statements_per_request_sum ([\d.e+]+)", text, re.M)
        worst = re.search(r"^jewgo_event_loop_lag_max_seconds ([\d.e+-]+)", text, re.M)
        return cls(
            float(found[1]) if found else 0.0,
            {float(le): float(n) for le, n in LAG_BUCKET.findall(text)},
            float(worst[1]) if worst else math.nan,
        )


def worst_lag_ms(before: Scrape, after: Scrape) -> float:
    """The bound of the lowest lag bucket holding every wake-up between two scrapes (ms):
    the worst lag meanwhile was at most this (and more than the bucket below)."""
    new = {le: n - before.lags.get(le, 0.0) for le, n in after.lags.items()}
    every = new.get(math.inf, 0.0)
    if not every:
        return math.nan  # no watch, or no wake-up (an older gateway)
    return 1000 * min(le for le, n in new.items() if n >= every)


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
    lag_ms: float


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
    before = (cpu_ns(gateway), cpu_ns(backends), Scrape.of(server.url))
    started = time.perf_counter()
    try:
        response = http.request(request.method, request.url, content=request.body or None,
                                headers=request.headers)  # fmt: skip
        status, code = response.status_code, code_of(response)
    except httpx.TimeoutException:  # the caller restarts the server: it may be busy for long
        status, code = 0, f"no answer within {TIMEOUT:.0f} s"
    wall = time.perf_counter() - started
    # The request's accounting ends after its answer is sent; the lag watch wakes every
    # 0.1 s, so a loop held by the request is recorded by now.
    time.sleep(0.2)
    backends = sorted(set(backends) | set(backend_pids(name)))
    after = Scrape.of(server.url) if status else None
    return Sample(
        status, code, wall * 1000, (cpu_ns(session_pids(server.process.pid)) - before[0]) / 1e6,
        (cpu_ns(backends) - before[1]) / 1e6,
        after.statements - before[2].statements if after else math.nan,
        worst_lag_ms(before[2], after) if after else math.nan,
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


Row = tuple[str, int, Sample]
Build = Callable[[Facts], Hostile]


def series_title(selection: str, times: int) -> str:
    return f"{times} copies of `{selection}`"


def sending(document: str) -> Build:
    return lambda facts: post(document)


def plan(only: list[str]) -> list[tuple[str, Build]]:
    """The requests, then the copies of each SERIES; with `only`, those whose title holds
    one of its texts."""
    planned = list(REQUESTS.items())
    for selection, sizes in SERIES.items():
        for times in sizes:
            planned.append((series_title(selection, times), sending(copies(selection, times))))
    return [(t, build) for t, build in planned if not only or any(o in t for o in only)]


def run(jewgo: str, repeat: int, only: list[str]) -> tuple[list[Row], float]:
    """The rows, and the worst event-loop lag of the run (seconds)."""
    rows = []
    worst = math.nan  # none known (an older gateway has no lag watch)
    with tempfile.TemporaryDirectory() as tmp, database(jewgo, Path(tmp)) as (name, env):
        titles = iter(plan(only))
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
                    seen = Scrape.of(server.url).worst_lag
                    worst = seen if math.isnan(worst) or seen > worst else worst
                else:
                    return rows, worst


def median(samples: list[Sample]) -> Sample:
    def mid(values: list[float]) -> float:
        return statistics.median(values)

    return Sample(
        samples[-1].status, samples[-1].code, mid([s.wall_ms for s in samples]),
        mid([s.gateway_ms for s in samples]), mid([s.postgres_ms for s in samples]),
        mid([s.statements for s in samples]), max(s.lag_ms for s in samples),
    )  # fmt: skip


def lag(ms: float) -> str:
    return "-" if math.isnan(ms) else "> 10,000" if math.isinf(ms) else f"≤ {ms:,.0f}"


def table(rows: list[Row]) -> str:
    lines = [
        "| request | bytes | HTTP | code | wall ms | gateway CPU ms | gateway CPU µs/byte "
        "| PostgreSQL CPU ms | SQL statements | worst loop lag ms |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for title, size, s in rows:
        lines.append(
            f"| {title} | {size:,} | {s.status} | {s.code} | {s.wall_ms:,.1f} | "
            f"{s.gateway_ms:,.1f} | {1000 * s.gateway_ms / size:,.2f} | {s.postgres_ms:,.1f} | "
            f"{'-' if math.isnan(s.statements) else f'{s.statements:,.0f}'} | {lag(s.lag_ms)} |"
        )
    return "\n".join(lines)


def doubling(rows: list[Row]) -> str:
    """Each SERIES: the gateway's CPU for n, 2n, 4n and 8n copies, and each one's ratio to
    the one before (2 for linear growth, 4 for quadratic)."""
    found = {title: (size, sample) for title, size, sample in rows}
    lines = [
        "| copies of | n | bytes | HTTP | code | gateway CPU ms | x the one before "
        "| worst loop lag ms |",
        "|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    for selection, sizes in SERIES.items():
        before = math.nan
        for times in sizes:
            if series_title(selection, times) not in found:
                continue
            size, s = found[series_title(selection, times)]
            ratio = s.gateway_ms / before if before else math.nan
            lines.append(
                f"| `{selection}` | {times} | {size:,} | {s.status} | {s.code} | "
                f"{s.gateway_ms:,.1f} | {'-' if math.isnan(ratio) else f'{ratio:.2f}'} | "
                f"{lag(s.lag_ms)} |"
            )
            before = s.gateway_ms
    return "\n".join(lines)


def main() -> None:
    # Stopped (SIGTERM), it still stops its server and drops its database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jewgo", default=str(Path(sys.executable).parent / "jewgo"))
    parser.add_argument("--label", default="after")
    parser.add_argument("--commit", default="")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--only", action="append", default=[], help="only requests whose title holds this"
    )
    options = parser.parse_args()
    rows, worst = run(options.jewgo, options.repeat, options.only)
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
        f"the gateway's own count of SQL sent; the loop lag, the upper bound of the "
        f"highest bucket of `jewgo_event_loop_lag_seconds` reached while it ran (the worst "
        f"of its runs). The worst "
        f"event-loop lag of the run: {'-' if math.isnan(worst) else f'{1000 * worst:,.0f}'} "
        "ms.\n\n"
        + table(rows)
        + "\n\nDoubling the copies of one selection (issue 22): the gateway's CPU per "
        "request, and its ratio to the one before (2 is linear growth, 4 quadratic).\n\n"
        + doubling(rows),
    )


if __name__ == "__main__":
    main()
