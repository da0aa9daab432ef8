"""The part of the composition root that changes flags: engine, Redis, flag store and
snapshot, rollouts and the admin.

The server's bootstrap (services.py) builds these through `build` and adds the rest; the
flag and rollout commands build only these, so `jewgo flags list` imports neither
Strawberry nor the request path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.engine import create_engine
from jewgo.flags import env as flag_env
from jewgo.flags.admin.changes import FlagAdmin
from jewgo.flags.admin.sync import Flags
from jewgo.flags.admin.users import user_role_query
from jewgo.flags.rollouts.store import RolloutStore
from jewgo.flags.store import FlagStore
from jewgo.gateway.data_cache.redis_client import create_redis
from jewgo.gateway.settings import Settings


@dataclass
class FlagParts:
    """What changing a flag takes; connects to nothing until used."""

    engine: AsyncEngine
    redis: Redis | None
    store: FlagStore
    flags: Flags
    rollouts: RolloutStore
    admin: FlagAdmin

    async def close(self) -> None:
        await self.flags.stop()
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()


def build(settings: Settings, environ: Mapping[str, str]) -> FlagParts:
    engine = create_engine(
        settings.database,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
    )
    redis = create_redis(settings)
    store = FlagStore(engine, flag_env.parse(environ))
    flags = Flags(
        store,
        redis=redis,
        channel=f"{settings.redis_namespace}:flags",
        poll_seconds=settings.flag_poll_seconds,
    )
    rollouts = RolloutStore(store)
    admin = FlagAdmin(
        store,
        rollouts,
        changed=flags.changed,
        user_role=user_role_query(engine),
        replay_max_age=timedelta(seconds=settings.replay_max_age_seconds),
    )
    return FlagParts(engine, redis, store, flags, rollouts, admin)
