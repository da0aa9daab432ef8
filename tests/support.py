"""Test helpers: a GraphQL client over the real ASGI app, databases, seeded identities."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from jewgo.gateway.settings import Settings
from jewgo.gateway.wiring.app import create_app
from jewgo.gateway.wiring.services import Services

JWT_SECRET = "test-secret-" + "x" * 40
ADMIN_ID = 1
MODERATOR_ID = 2
USER_ID = 3
OTHER_USER_ID = 4


@dataclass
class Database:
    backend: str
    url: str
    drop: Callable[[], Awaitable[None]] | None = None

    async def close(self) -> None:
        if self.drop is not None:
            await self.drop()


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: httpx.Headers

    @property
    def data(self) -> Any:
        return self.body.get("data")

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.body.get("errors") or [])

    @property
    def codes(self) -> list[str]:
        return [e.get("extensions", {}).get("code") for e in self.errors]

    @property
    def extensions(self) -> dict[str, Any]:
        return dict(self.body.get("extensions") or {})

    def ok(self) -> Any:
        assert self.status == 200, self.body
        assert not self.errors, self.errors
        return self.data


@dataclass
class GraphQL:
    """Posts operations to /graphql as anonymous or as a seeded user."""

    http: httpx.AsyncClient
    app: Starlette
    version: str | None = None
    tokens: dict[int, str] = field(default_factory=dict)

    @property
    def services(self) -> Services:
        services: Services = self.app.state.services
        return services

    def token(self, user_id: int) -> str:
        if user_id not in self.tokens:
            self.tokens[user_id] = self.services.tokens.issue(user_id)
        return self.tokens[user_id]

    async def __call__(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        as_user: int | None = None,
        headers: Mapping[str, str] | None = None,
        touches: Sequence[str] | None = None,
    ) -> Reply:
        """`touches`: the domains the operation must reach (by default at least one);
        `()` for an operation that reaches none (an admin query, a refused request)."""
        sent = dict(headers or {})
        if as_user is not None:
            sent["Authorization"] = f"Bearer {self.token(as_user)}"
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": dict(variables or {})}, headers=sent
        )
        reply = Reply(response.status_code, response.json(), response.headers)
        if self.version is not None:
            # Whatever the test asserts, it ran on the version it claims to test; a
            # versioned test that reached no domain would claim a version it never ran.
            versions: dict[str, str] = reply.extensions.get("versions", {})
            assert set(versions.values()) <= {self.version}, (versions, self.version)
            if touches is None:
                assert versions, f"reached no domain, so it ran on neither version: {query}"
            else:
                assert set(versions) == set(touches), (versions, touches)
        return reply


def settings_for(database: Database, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database.url,
        "data_dir": data_dir,
        "jwt_secret": JWT_SECRET,
        "log_level": "WARNING",
        # The console binds a port of its own: only the tests of the console ask for it.
        "console": False,
        # A loaded machine (two cores, a suite beside) can take longer than the 0.25 s of
        # production to answer: a test of what Redis holds must not fall back to memory
        # for that. The tests of a slow or dead Redis set their own timeout.
        "redis_timeout_seconds": 2.0,
        # Many apps start and stop in one test process: a collection of the whole process
        # at each start would cost more than the apps' requests (test_app_lifecycle).
        "gc_freeze": False,
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def gateway_client(
    database: Database,
    data_dir: Path,
    environ: Mapping[str, str],
    version: str | None = None,
    **overrides: Any,
) -> AsyncIterator[GraphQL]:
    app = create_app(settings_for(database, data_dir, **overrides), environ=environ)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            yield GraphQL(http=http, app=app, version=version)


async def eventually(
    condition: Callable[[], Awaitable[bool]], within: float = 10.0, pause: float = 0.02
) -> float:
    """Seconds until `condition()` holds, asked every `pause`; fails after `within` s."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if await condition():
            return time.monotonic() - started
        await asyncio.sleep(pause)
    raise AssertionError(f"not within {within} s")


def free_port() -> int:
    """A port nothing listens on right now (loopback only)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not become healthy in {timeout} s")


@contextmanager
def serving(
    command: Sequence[str],
    env: Mapping[str, str],
    cwd: Path,
    port: int,
    timeout: float = 60.0,
) -> Iterator[Server]:
    """Runs a gateway process until the block ends; it is always stopped and reaped."""
    log = cwd / f"server-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            list(command),
            env=dict(env),
            cwd=cwd,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        server = Server(process, f"http://127.0.0.1:{port}", log)
        try:
            wait_until_healthy(server.url, process, timeout)
            yield server
        except BaseException:
            sys.stderr.write(server.output()[-4000:])
            raise
        finally:
            stop(process)


def stop(process: subprocess.Popen[bytes], sign: signal.Signals = signal.SIGTERM) -> None:
    """`sign` to the process's group (SIGTERM: a graceful shutdown), then SIGKILL after 15 s."""
    if process.poll() is None:
        os.killpg(process.pid, sign)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def base_env(**values: str) -> dict[str, str]:
    """The environment of a server process: ours minus anything that configures it."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("API_V4_", "DATABASE_URL", "REDIS_URL", "JWT_", "FAULTS"))
    }
    # The console binds a port of its own (PORT + 1): only the tests of the console ask for it.
    env.update({"LOG_LEVEL": "WARNING", "JWT_SECRET": JWT_SECRET, "CONSOLE": "false", **values})
    return env


class RedisProcess:
    """A redis-server of the test's own on a spare loopback port, to stop and restart."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._workdir = workdir
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            [
                "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(self._workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        raise TimeoutError("redis-server did not start")

    def freeze(self) -> None:
        """SIGSTOP: connections stay open and nothing answers (a hung Redis)."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGCONT)  # a frozen process cannot die
            self._process.kill()
            self._process.wait(timeout=5)
        self._process = None

    def keys(self) -> int:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
            sock.sendall(b"DBSIZE\r\n")
            return int(sock.recv(64).strip().lstrip(b":"))
