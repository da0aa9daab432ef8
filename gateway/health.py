"""Liveness (`/health`), readiness (`/ready`) and the components both report.

Ready means the database answers. The cache on its in-memory fallback is `degraded`
(still ready); a flag snapshot not confirmed for several poll intervals is `stale`.
"""

from __future__ import annotations

import asyncio
import os
import socket
from dataclasses import dataclass

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from jewgo.gateway.wiring import Services

DATABASE_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Component:
    name: str
    status: str
    detail: str | None


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _database(services: Services) -> Component:
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_SECONDS):
            async with services.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not ready", whatever the driver raised
        return Component("database", "down", type(exc).__name__)
    return Component("database", "ok", services.engine.dialect.name)


def _flags(services: Services) -> Component:
    flags = services.flags
    age = flags.age_seconds
    stale_after = max(3 * services.settings.flag_poll_seconds, 10.0)
    return Component(
        "flags",
        "ok" if age <= stale_after else "stale",
        f"revision {flags.snapshot.revision}, confirmed {age:.1f} s ago",
    )


async def _redis(services: Services) -> Component | None:
    if services.redis is None:
        return None
    try:
        async with asyncio.timeout(services.settings.redis_timeout_seconds * 4):
            await services.redis.ping()
    except Exception as exc:  # not ready-critical: flags poll, cache and metrics fall back
        return Component("redis", "down", f"{type(exc).__name__}; flags poll, cache in memory")
    return Component("redis", "ok", "pub/sub, cache and fleet metrics")


async def components(services: Services) -> list[Component]:
    status, detail = services.cache.status
    found = [
        await _database(services),
        Component("cache", status, detail),
        _flags(services),
        Component(
            "rollouts",
            "ok",
            "this instance leads the rollout controller"
            if services.controller.leading
            else "standby (another instance holds the controller lease)",
        ),
    ]
    redis = await _redis(services)
    return [*found, redis] if redis is not None else found


async def ready(request: Request) -> JSONResponse:
    services: Services = request.app.state.services
    found = await components(services)
    healthy = found[0].status == "ok"
    return JSONResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "instance": f"{socket.gethostname()}:{os.getpid()}",
            "flags": {
                "revision": services.flags.snapshot.revision,
                "ageSeconds": services.flags.age_seconds,
            },
            "components": [{"name": c.name, "status": c.status, "detail": c.detail} for c in found],
        },
        status_code=200 if healthy else 503,
    )
