"""Fixtures shared by every tier: real databases created and dropped per run, apps, clients.

PostgreSQL and Redis are used for real. Without them the tests that need them skip,
unless REQUIRE_SERVICES=1 (CI), where they fail instead.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from jewgo.db import migrate, seed
from jewgo.db.engine import create_engine
from tests.support import (
    Database,
    GraphQL,
    RedisProcess,
    Server,
    base_env,
    free_port,
    gateway_client,
    serving,
)

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
DB_PREFIX = "jewgo_test_"
# Headless Chromium fixtures (`browser`, `offline_page`), for any tier that needs a browser.
pytest_plugins = ("tests.browser",)

V4_EVERYWHERE = {
    "API_V4_ENABLED": "true",
    "API_V4_RESTAURANTS": "true",
    "API_V4_REVIEWS": "true",
    "API_V4_USERS": "true",
    "API_V4_STATISTICS": "true",
}


def unavailable(service: str, reason: object) -> None:
    message = f"{service} is not reachable: {reason}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (REQUIRE_SERVICES=1)")
    pytest.skip(message)


class PostgresServer:
    """Creates and drops this run's databases through the admin connection."""

    def __init__(self, admin: AsyncEngine) -> None:
        self.admin = admin
        self.created: list[str] = []

    def url(self, name: str) -> str:
        return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name

    async def create(self, template: str | None = None) -> str:
        name = f"{DB_PREFIX}{uuid.uuid4().hex[:12]}"
        clause = f" TEMPLATE {template}" if template else ""
        async with self.admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        self.created.append(name)
        return name

    async def drop(self, name: str) -> None:
        async with self.admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if name in self.created:
            self.created.remove(name)


async def connect_postgres() -> PostgresServer:
    admin = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        await admin.dispose()
        unavailable("PostgreSQL", exc)
    return PostgresServer(admin)


@pytest.fixture(scope="session")
async def redis_url() -> str:
    """The shared Redis; each test keeps to a namespace of its own (`namespace`)."""
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except Exception as exc:
        unavailable("Redis", exc)
    finally:
        await client.aclose()
    return REDIS_URL


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    """A Redis server this test may kill; always stopped at the end."""
    if shutil.which("redis-server") is None:
        unavailable("redis-server", "not on PATH")
    server = RedisProcess(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def namespace() -> str:
    return f"jewgo-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


async def _migrate_and_seed(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        await seed.load(engine, 1)
    finally:
        await engine.dispose()


def _sqlite_copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    dst.close()
    src.close()


class Templates:
    """One migrated and seeded database per backend, cloned for each test that writes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._sqlite: Path | None = None
        self._postgres: str | None = None
        self._server: PostgresServer | None = None

    async def server(self) -> PostgresServer:
        if self._server is None:
            self._server = await connect_postgres()
        return self._server

    async def close(self) -> None:
        if self._server is not None:
            for name in list(self._server.created):
                await self._server.drop(name)
            await self._server.admin.dispose()

    async def sqlite(self) -> Path:
        if self._sqlite is None:
            path = self.root / "template.db"
            await _migrate_and_seed(f"sqlite+aiosqlite:///{path}")
            self._sqlite = path
        return self._sqlite

    async def postgres(self) -> str:
        server = await self.server()
        if self._postgres is None:
            name = await server.create()
            await _migrate_and_seed(server.url(name))
            self._postgres = name
        return self._postgres


@pytest.fixture(scope="session")
async def templates(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Templates]:
    found = Templates(tmp_path_factory.mktemp("templates"))
    yield found
    await found.close()


async def clone(backend: str, templates: Templates, root: Path) -> Database:
    if backend == "sqlite":
        target = root / f"{uuid.uuid4().hex[:12]}.db"
        _sqlite_copy(await templates.sqlite(), target)
        return Database("sqlite", f"sqlite+aiosqlite:///{target}")
    template = await templates.postgres()
    server = await templates.server()
    name = await server.create(template=template)
    return Database("postgres", server.url(name), drop=lambda: server.drop(name))


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
async def shared_db(
    request: pytest.FixtureRequest,
    templates: Templates,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Database]:
    """A seeded database per backend for tests that only read."""
    database = await clone(request.param, templates, tmp_path_factory.mktemp("ro"))
    yield database
    await database.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def fresh_db(
    request: pytest.FixtureRequest, templates: Templates, tmp_path: Path
) -> AsyncIterator[Database]:
    """A seeded database of its own for a test that writes."""
    database = await clone(request.param, templates, tmp_path)
    yield database
    await database.close()


@pytest.fixture(params=["v3", "v4"])
def version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def environ_for(version: str) -> Mapping[str, str]:
    return V4_EVERYWHERE if version == "v4" else {}


@pytest.fixture
async def gql(shared_db: Database, version: str, data_dir: Path) -> AsyncIterator[GraphQL]:
    """A client of a gateway on the shared database serving every domain with `version`."""
    async with gateway_client(shared_db, data_dir, environ_for(version), version) as client:
        yield client


@pytest.fixture
async def gql_rw(fresh_db: Database, version: str, data_dir: Path) -> AsyncIterator[GraphQL]:
    """As `gql`, on a database of the test's own."""
    async with gateway_client(fresh_db, data_dir, environ_for(version), version) as client:
        yield client


JEWGO = str(Path(sys.executable).parent / "jewgo")


@pytest.fixture(scope="module")
def frontend_port() -> int:
    """Where a test serves a page of another origin (`http://localhost:<it>`), which the
    live gateway's CORS_ORIGINS lets in."""
    return free_port()


@pytest.fixture(scope="module")
async def live_gateway(
    templates: Templates, tmp_path_factory: pytest.TempPathFactory, frontend_port: int
) -> AsyncIterator[Server]:
    """A `jewgo serve` process on a seeded SQLite database of its own, for clients that
    speak HTTP for real (npm packages, browsers)."""
    root = tmp_path_factory.mktemp("live")
    database = await clone("sqlite", templates, root)
    port = free_port()
    env = base_env(
        DATABASE_URL=database.url,
        DATA_DIR=str(root),
        CORS_ORIGINS=f"http://localhost:{frontend_port}",
    )
    with serving([JEWGO, "serve", "--port", str(port), "--no-migrate"], env, root, port) as server:
        yield server
    await database.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks what needs PostgreSQL, so `make quick` can leave it out (`-m "not postgres"`)."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        fixtures = getattr(item, "fixturenames", ())
        if "postgres" in params.values() or "postgres_db" in fixtures:
            item.add_marker(pytest.mark.postgres)
