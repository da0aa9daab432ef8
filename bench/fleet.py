"""Servers for benchmarks: a seeded PostgreSQL database and `jewgo serve` processes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from jewgo.db import migrate, seed
from jewgo.db.engine import create_engine
from tests.support import JWT_SECRET, Server, free_port, serving

POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
JEWGO = str(Path(sys.executable).parent / "jewgo")


async def _admin(statement: str) -> None:
    admin = create_async_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await admin.dispose()


@contextmanager
def seeded_database(scale: int) -> Iterator[str]:
    """A PostgreSQL database with the seed at `scale`, dropped afterwards."""
    name = f"jewgo_bench_{uuid.uuid4().hex[:8]}"
    url = POSTGRES.rsplit("/", 1)[0] + "/" + name

    async def create() -> None:
        await _admin(f'CREATE DATABASE "{name}"')
        engine = create_engine(url)
        try:
            await migrate.upgrade(engine)
            await seed.load(engine, scale)
        finally:
            await engine.dispose()

    asyncio.run(create())
    try:
        yield url
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("API_V4_", "DATABASE_URL"))}
    env.update(
        {
            "DATABASE_URL": database_url,
            "JWT_SECRET": JWT_SECRET,
            "LOG_LEVEL": "WARNING",
            "CONSOLE": "false",
            **extra,
        }
    )
    return env


@contextmanager
def gateway(env: Mapping[str, str], workdir: Path, *args: str) -> Iterator[Server]:
    port = free_port()
    command = [JEWGO, "serve", "--port", str(port), "--no-migrate", *args]
    with serving(command, env, workdir, port) as server:
        yield server


def run_cli(env: Mapping[str, str], *args: str) -> None:
    subprocess.run([JEWGO, *args], env=dict(env), check=True, capture_output=True)
