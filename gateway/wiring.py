"""The composition root: everything long-lived that one gateway process owns."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import strawberry
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_engine
from flags import env as flag_env
from flags.store import FlagStore
from flags.sync import Flags
from gateway.auth import Tokens, resolve_secret
from gateway.settings import Settings
from resolvers.ports import ChangeSink, NoChanges
from schema import build_schema


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    redis: Redis | None
    tokens: Tokens
    schema: strawberry.Schema
    changes: ChangeSink
    flags: Flags

    async def start(self) -> None:
        await self.flags.start()

    async def close(self) -> None:
        await self.flags.stop()
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()


def create_redis(settings: Settings) -> Redis | None:
    if not settings.redis_url:
        return None
    timeout = settings.redis_timeout_seconds
    return Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=timeout,
        socket_timeout=timeout * 4,
        retry_on_timeout=False,
    )


def bootstrap(settings: Settings, environ: Mapping[str, str] | None = None) -> Services:
    """Builds every long-lived object from settings; connects to nothing yet."""
    environ = os.environ if environ is None else environ
    engine = create_engine(
        settings.database,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
    )
    redis = create_redis(settings)
    flags = Flags(
        FlagStore(engine, flag_env.parse(environ)),
        redis=redis,
        channel=f"{settings.redis_namespace}:flags",
        poll_seconds=settings.flag_poll_seconds,
    )
    return Services(
        settings=settings,
        engine=engine,
        redis=redis,
        tokens=Tokens(resolve_secret(settings), settings.jwt_ttl_seconds),
        schema=build_schema(),
        changes=NoChanges(),
        flags=flags,
    )
