"""What the commands share: settings from the environment, and running async work with an
engine (the data commands) or with the flags (the flag commands)."""

from __future__ import annotations

import asyncio
import getpass
import os
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.engine import create_engine
from jewgo.flags import env as flag_env
from jewgo.flags.errors import FlagError
from jewgo.flags.store import FlagStore
from jewgo.flags.sync import Flags
from jewgo.gateway.logs import configure
from jewgo.gateway.settings import Settings
from jewgo.gateway.wiring import create_redis

T = TypeVar("T")


def settings() -> Settings:
    try:
        found = Settings()
    except ValueError as exc:
        raise click.ClickException(f"invalid settings: {exc}") from exc
    configure(found.log_level, found.log_format)
    return found


def actor() -> str:
    """Who the audit log says made a change from this shell."""
    return f"cli:{getpass.getuser()}"


def with_engine(found: Settings, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    """`work` with an engine of its own; for the commands that need a database and no more
    (they run on a database not migrated yet, where the flags cannot load)."""

    async def run() -> T:
        engine = create_engine(found.database)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def with_flags(work: Callable[[Flags], Awaitable[T]]) -> T:
    """Runs `work` against the flag store, announcing changes to the fleet over Redis."""
    found = settings()

    async def run() -> T:
        engine = create_engine(found.database)
        redis = create_redis(found)
        flags = Flags(
            FlagStore(engine, flag_env.parse(os.environ)),
            redis=redis,
            channel=f"{found.redis_namespace}:flags",
        )
        try:
            await flags.load()
            return await work(flags)
        except FlagError as exc:
            raise click.ClickException(f"{exc.code}: {exc.message}") from exc
        finally:
            if redis is not None:
                await redis.aclose()
            await engine.dispose()

    return asyncio.run(run())
