"""Liveness (`/health`), readiness (`/ready`) and the components both report.

Ready means the database answers. The cache on its in-memory fallback is `degraded`
(still ready); a flag snapshot not confirmed for several poll intervals is `stale`;
`callers` is a `warning` (still ready) while requests look forwarded by a proxy that
FORWARDED_ALLOW_IPS does not name (gateway.request.forwarding).
"""

from __future__ import annotations

import asyncio
import os
import socket
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse

from jewgo.flags.admin.sync import Flags
from jewgo.flags.rollouts.controller import RolloutController
from jewgo.gateway.data_cache.tiers import TieredCache
from jewgo.gateway.request.forwarding import ProxyWatch

DATABASE_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Component:
    name: str
    status: str
    detail: str | None


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


class Readiness:
    """The components `/ready` and `MigrationStatus.health` report, from the parts that
    know them."""

    def __init__(
        self,
        engine: AsyncEngine,
        cache: TieredCache,
        flags: Flags,
        controller: RolloutController,
        redis: Redis | None,
        *,
        flag_poll_seconds: float,
        redis_timeout_seconds: float,
        proxies: ProxyWatch | None = None,
    ) -> None:
        self._proxies = proxies
        self._engine = engine
        self._cache = cache
        self._flags = flags
        self._controller = controller
        self._redis = redis
        self._stale_after = max(3 * flag_poll_seconds, 10.0)
        self._redis_timeout = redis_timeout_seconds * 4

    async def _database(self) -> Component:
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT_SECONDS):
                async with self._engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
        except Exception as exc:  # any failure means "not ready", whatever the driver raised
            return Component("database", "down", type(exc).__name__)
        return Component("database", "ok", self._engine.dialect.name)

    def _flag_snapshot(self) -> Component:
        age = self._flags.age_seconds
        return Component(
            "flags",
            "ok" if age <= self._stale_after else "stale",
            f"revision {self._flags.snapshot.revision}, confirmed {age:.1f} s ago",
        )

    async def _redis_component(self) -> Component | None:
        if self._redis is None:
            return None
        try:
            async with asyncio.timeout(self._redis_timeout):
                await self._redis.ping()
        except Exception as exc:  # not ready-critical: flags poll, cache and metrics fall back
            return Component("redis", "down", f"{type(exc).__name__}; flags poll, cache in memory")
        return Component("redis", "ok", "pub/sub, cache and fleet metrics")

    async def _cache_component(self, redis: Component | None) -> Component:
        """The cache as it is, not only as the breaker last saw it: a Redis that answers
        again is tried now (which may close the breaker), and one that does not makes
        the cache degraded even before any request has met it."""
        if redis is not None and redis.status == "ok" and self._cache.breaker.is_open:
            await self._cache.recover()
        if redis is not None and redis.status != "ok":
            self._cache.unreachable()
        status, detail = self._cache.status
        return Component("cache", status, detail)

    def _callers(self) -> Component | None:
        if self._proxies is None:
            return None
        suspicion = self._proxies.suspicion()
        if suspicion is None:
            return Component("callers", "ok", "no sign of a proxy FORWARDED_ALLOW_IPS omits")
        return Component("callers", "warning", suspicion)

    async def components(self) -> list[Component]:
        redis = await self._redis_component()
        found = [
            await self._database(),
            await self._cache_component(redis),
            self._flag_snapshot(),
            Component("rollouts", "ok", self._controller.standing),
        ]
        extra = [c for c in (redis, self._callers()) if c is not None]
        return [*found, *extra]

    async def ready(self, request: Request) -> JSONResponse:
        found = await self.components()
        healthy = found[0].status == "ok"
        return JSONResponse(
            {
                "status": "ok" if healthy else "unavailable",
                "instance": f"{socket.gethostname()}:{os.getpid()}",
                "flags": {
                    "revision": self._flags.snapshot.revision,
                    "ageSeconds": self._flags.age_seconds,
                },
                "components": [
                    {"name": c.name, "status": c.status, "detail": c.detail} for c in found
                ],
            },
            status_code=200 if healthy else 503,
        )
