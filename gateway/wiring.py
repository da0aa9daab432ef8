"""The composition root: everything long-lived that one gateway process owns."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_engine
from gateway.auth import Tokens, resolve_secret
from gateway.settings import Settings
from gateway.versions import environment_versions
from resolvers.domain import Domain, Version
from resolvers.ports import ChangeSink, NoChanges
from schema import build_schema


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    tokens: Tokens
    schema: strawberry.Schema
    changes: ChangeSink
    default_versions: Mapping[Domain, Version]

    async def close(self) -> None:
        await self.engine.dispose()


def bootstrap(settings: Settings, environ: Mapping[str, str] | None = None) -> Services:
    """Builds every long-lived object from settings; connects to nothing yet."""
    environ = os.environ if environ is None else environ
    engine = create_engine(
        settings.database,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
    )
    return Services(
        settings=settings,
        engine=engine,
        tokens=Tokens(resolve_secret(settings), settings.jwt_ttl_seconds),
        schema=build_schema(),
        changes=NoChanges(),
        default_versions=environment_versions(environ),
    )
