"""Two `jewgo serve` instances behind Debian's nginx, configured by deploy/nginx.conf (its
placeholders filled with spare loopback ports), on one PostgreSQL database and one Redis.

Callers keep their own addresses: nginx appends the address it sees to X-Forwarded-For and
the instances trust that from nginx alone (FORWARDED_ALLOW_IPS=127.0.0.1), so the rate
limit and the rollout's caller guard count each caller apart. The test plays distinct
callers by binding its clients to distinct loopback addresses (Linux routes all of 127/8
to lo), which is the address nginx sees. And a rolling restart (SIGTERM, start, healthy;
then the other instance) under a steady stream of reads loses no request.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from jewgo.flags.telemetry import weighting
from tests.conftest import Templates, clone, unavailable
from tests.e2e.fleet import JEWGO, READ, admin, env_for, graphql
from tests.support import Database, Server, eventually, free_port, serving, stop

pytestmark = pytest.mark.slow
CONF = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
LIMIT = 30
START = """mutation($config: RolloutConfigInput) {
  startRollout(name: "api_v4_restaurants", config: $config) { state } }"""
ROLLOUT = "{ migration { rollouts { flag state lastDecision } } }"
TOTALS = "query($s: String) { restaurants(first: 2, filter: {state: $s}) { totalCount edges { node { id name } } } }"  # noqa: E501


@pytest.fixture
async def database(templates: Templates, tmp_path: Path) -> AsyncIterator[Database]:
    database = await clone("postgres", templates, tmp_path)
    yield database
    await database.close()


@pytest.fixture
def nginx_binary() -> str:
    if not (os.path.isfile(NGINX) and os.access(NGINX, os.X_OK)):
        unavailable("nginx", f"{NGINX} is missing (Debian: apt-get install nginx)")
    return NGINX


def configuration(listen: str, gateways: tuple[str, str]) -> str:
    """deploy/nginx.conf with its documented placeholders filled, nothing else changed."""
    text = CONF.read_text()
    for name, value in (("LISTEN", listen), ("GATEWAY_A", gateways[0]), ("GATEWAY_B", gateways[1])):
        assert "${" + name + "}" in text, name
        text = text.replace("${" + name + "}", value)
    assert "${" not in text
    return text


@dataclass
class Proxy:
    url: str
    prefix: Path

    def access_log(self) -> list[str]:
        path = self.prefix / "logs" / "access.log"
        return path.read_text().splitlines() if path.exists() else []


def stop_nginx(process: subprocess.Popen[bytes]) -> None:
    """SIGQUIT: nginx's graceful shutdown (requests under way finish)."""
    stop(process, signal.SIGQUIT)


@contextmanager
def nginx(binary: str, prefix: Path, gateways: tuple[str, str]) -> Iterator[Proxy]:
    """nginx in the foreground with everything of its own (pid, logs, temporary files)
    under `prefix`, listening on a spare loopback port; always stopped."""
    (prefix / "logs").mkdir(parents=True)
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(configuration(f"127.0.0.1:{port}", gateways))
    # Run as root, nginx's workers would switch to Debian's www-data, which cannot enter
    # pytest's private temporary directory: they keep the test's user instead.
    directives = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    command = [binary, "-p", f"{prefix}/", "-e", "logs/error.log", "-c", str(conf)]
    with (prefix / "nginx.out").open("wb") as sink:
        process = subprocess.Popen(
            [*command, "-g", directives],
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    proxy = Proxy(f"http://127.0.0.1:{port}", prefix)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (prefix / "logs" / "error.log").read_text()
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{proxy.url}/health", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, "nginx did not answer within 30 s"
            time.sleep(0.05)
        yield proxy
    finally:
        stop_nginx(process)


class Fleet:
    """Gateway instances on fixed ports (nginx's upstreams), each stopped (SIGTERM) and
    started again on its own port; all of them stopped at the end."""

    def __init__(self, env: dict[str, str], root: Path) -> None:
        self.ports = (free_port(), free_port())
        assert self.ports[0] != self.ports[1]
        self.addresses = (f"127.0.0.1:{self.ports[0]}", f"127.0.0.1:{self.ports[1]}")
        self._env = env
        self._root = root
        self._stacks: dict[int, ExitStack] = {}
        self._starts = 0

    def start(self, index: int) -> Server:
        self._starts += 1
        cwd = self._root / f"gateway-{index}-{self._starts}"
        cwd.mkdir()
        stack = ExitStack()
        port = str(self.ports[index])
        command = [JEWGO, "serve", "--port", port, "--no-migrate"]
        try:
            server = stack.enter_context(serving(command, self._env, cwd, self.ports[index]))
        except BaseException:
            stack.close()
            raise
        self._stacks[index] = stack
        return server

    def stop(self, index: int) -> None:
        self._stacks.pop(index).close()

    def close(self) -> None:
        for index in list(self._stacks):
            self.stop(index)


@contextmanager
def behind_nginx(binary: str, env: dict[str, str], root: Path) -> Iterator[tuple[Fleet, Proxy]]:
    fleet = Fleet(env, root)
    try:
        fleet.start(0)
        fleet.start(1)
        with nginx(binary, root / "nginx", fleet.addresses) as proxy:
            yield fleet, proxy
    finally:
        fleet.close()


def caller(proxy: Proxy, address: str) -> httpx.AsyncClient:
    """A client whose connections come from `address`: the caller nginx sees."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=proxy.url, transport=transport, timeout=30)


async def rollout(client: httpx.AsyncClient) -> dict[str, Any]:
    data = await admin(client, ROLLOUT)
    found: dict[str, Any] = next(
        r for r in data["migration"]["rollouts"] if r["flag"] == "api_v4_restaurants"
    )
    return found


async def test_callers_behind_nginx_keep_their_own_addresses(
    nginx_binary: str, database: Database, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    env = env_for(database, redis_url, namespace, RATE_LIMIT_PER_MINUTE=str(LIMIT))
    callers = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
    slots = {weighting.slot(f"address:{a}") for a in (*callers, "127.0.0.1")}
    assert len(slots) == 4  # the guard counts callers in slots: these four stay apart
    with behind_nginx(nginx_binary, env, tmp_path) as (_, proxy):
        async with httpx.AsyncClient(base_url=proxy.url, timeout=30) as operator:
            # The rollout's caller guard: v4 calls from three callers are three callers.
            # It judges the callers once `minRequests` v4 calls are in its window: all nine.
            await admin(operator, START, config={
                "initialPercentage": 90, "incrementIntervalSeconds": 1,
                "monitoringPeriodSeconds": 60, "minRequests": 3 * len(callers),
            })  # fmt: skip
            for address in callers:
                async with caller(proxy, address) as client:
                    on_v4 = 0
                    for n in range(LIMIT):
                        headers = {"X-Client-Id": f"{address}-{n}"}
                        body = await graphql(client, READ, None, headers)
                        assert not body.get("errors"), body
                        on_v4 += body["extensions"]["versions"] == {"restaurants": "v4"}
                        if on_v4 == 3:
                            break
                    assert on_v4 == 3, f"{address}: {on_v4} of {n + 1} reads on v4 at 90 %"

            async def judged() -> bool:
                return "distinct callers" in ((await rollout(operator))["lastDecision"] or "")

            # Every 2 s: the operator's own requests count against its share of the minute.
            await eventually(judged, within=60, pause=2)
            decision = (await rollout(operator))["lastDecision"]
            # Seen as nginx's address, they would be "from 1 of 5".
            assert "v4 calls from 3 of 5 distinct callers" in decision, decision

        # The rate limit: one caller over its share is refused, another is not, and what a
        # caller writes into X-Forwarded-For itself changes nothing.
        async with caller(proxy, "127.0.0.5") as greedy, caller(proxy, "127.0.0.6") as other:
            statuses: list[int] = []
            # At most two windows' worth (the minute may turn once on the way).
            for n in range(2 * LIMIT + 1):
                spoofed = {"X-Forwarded-For": f"10.0.{n}.1"}
                reply = await greedy.post(
                    "/graphql", json={"query": "{ statistics { totalUsers } }"}, headers=spoofed
                )
                statuses.append(reply.status_code)
                if reply.status_code == 429:
                    codes = [e["extensions"]["code"] for e in reply.json()["errors"]]
                    assert codes == ["RATE_LIMITED"]
                    break
            assert statuses[-1] == 429, statuses
            reply = await other.post("/graphql", json={"query": "{ statistics { totalUsers } }"})
            assert reply.status_code == 200, reply.text
            assert reply.json()["data"]["statistics"]["totalUsers"] > 0

        # The counters in Redis are the instances' view of who called.
        redis = Redis.from_url(redis_url)
        try:
            keys = [k.decode() async for k in redis.scan_iter(f"{namespace}:rl:*", count=1000)]
        finally:
            await redis.aclose()
        counted = {key.rsplit(":address:", 1)[1] for key in keys if ":address:" in key}
        # Neither nginx's address nor one a caller wrote (the first three callers' counters
        # may have expired by now: they last two minutes).
        assert {"127.0.0.5", "127.0.0.6"} <= counted <= {*callers, "127.0.0.5", "127.0.0.6"}, keys


QUERIES = [{"s": state} for state in ("NY", "NJ", "CA", "FL", "MA")]


@dataclass
class Stream:
    """Readers sending `TOTALS` through nginx, each answer compared with what it was
    before, until stopped (at most `cap` requests)."""

    url: str
    expected: list[dict[str, Any]]
    readers: int = 4
    cap: int = 6000
    pause: float = 0.01
    answered: list[float] = field(default_factory=list)  # when each correct answer came
    failures: list[str] = field(default_factory=list)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    sent: int = 0

    async def _read(self, reader: int) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=60) as client:
            while not self._stopping.is_set() and self.sent < self.cap:
                index = (self.sent + reader) % len(QUERIES)
                self.sent += 1
                try:
                    reply = await client.post(
                        "/graphql", json={"query": TOTALS, "variables": QUERIES[index]}
                    )
                except httpx.HTTPError as exc:
                    self.failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                body = reply.json() if reply.status_code == 200 else None
                if body is None or body.get("errors") or body["data"] != self.expected[index]:
                    self.failures.append(f"{reply.status_code}: {reply.text[:300]}")
                else:
                    self.answered.append(time.monotonic())
                await asyncio.sleep(self.pause)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Stream]:
        tasks = [asyncio.create_task(self._read(n)) for n in range(self.readers)]
        try:
            yield self
        finally:
            self._stopping.set()
            await asyncio.gather(*tasks)

    def since(self, moment: float) -> int:
        return sum(1 for at in self.answered if at >= moment)

    async def flowing(self, moment: float) -> bool:
        """Whether 50 correct answers came since `moment` (or anything failed)."""
        return self.since(moment) >= 50 or bool(self.failures)


# A line of deploy/nginx.conf's access log: the status, every instance tried, the worker.
ANSWERED = re.compile(r'" (\d{3}) \d+ upstream=(.*) upstream_status=.* pid=(\d+) ')


async def taken_back(proxy: Proxy, address: str, after_line: int) -> bool:
    """Whether every nginx worker that passed requests on since that line of its access
    log has had one answered by `address` (each worker holds an instance failed on its
    own)."""
    workers: set[str] = set()
    back: set[str] = set()
    for line in proxy.access_log()[after_line:]:
        found = ANSWERED.search(line)
        if found is not None:
            workers.add(found[3])
            if found[1] == "200" and found[2].split(", ")[-1] == address:
                back.add(found[3])
    return bool(back) and back == workers


async def restart(fleet: Fleet, proxy: Proxy, stream: Stream, index: int) -> None:
    """Instance `index` stopped (SIGTERM: uvicorn drains, then exits) and started again on
    its port; done when nginx gives it requests again and the stream flows."""
    stopping = time.monotonic()
    await asyncio.to_thread(fleet.stop, index)  # returns once the process has exited
    stopped = time.monotonic()
    lines = len(proxy.access_log())
    await asyncio.to_thread(fleet.start, index)  # returns once /health answers
    await eventually(partial(stream.flowing, time.monotonic()), within=60, pause=0.05)
    # Each nginx worker takes the instance back once its fail_timeout has passed: only then
    # may the next one stop (or a worker holding both failed answers 502).
    back = partial(taken_back, proxy, fleet.addresses[index], lines)
    await eventually(back, within=60, pause=0.1)
    during = stream.since(stopping) - stream.since(stopped)
    print(f"\ninstance {index}: {during} answers while it stopped ({stopped - stopping:.1f} s)")


async def test_a_rolling_restart_behind_nginx_loses_no_request(
    nginx_binary: str, database: Database, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    # No rate limit: the stream is one caller (127.0.0.1) sending thousands a minute.
    env = env_for(database, redis_url, namespace, RATE_LIMIT_PER_MINUTE="0")
    with behind_nginx(nginx_binary, env, tmp_path) as (fleet, proxy):
        async with httpx.AsyncClient(base_url=proxy.url, timeout=30) as client:
            expected = []
            for variables in QUERIES:
                body = await graphql(client, TOTALS, variables)
                assert not body.get("errors"), body
                expected.append(body["data"])
        stream = Stream(proxy.url, expected)
        async with stream.running():
            await eventually(partial(stream.flowing, 0.0), within=60, pause=0.05)
            for index in (0, 1):
                await restart(fleet, proxy, stream, index)
        log = proxy.access_log()
        passed_on = [line for line in log if re.search(r"upstream_status=\S+, ", line)]
        print(
            f"{len(stream.answered)} correct answers, {len(stream.failures)} failures; "
            f"{len(passed_on)} requests nginx passed on to the other instance"
        )
        assert not stream.failures, stream.failures[:10]
        assert stream.sent < stream.cap  # the stream ran until the end
