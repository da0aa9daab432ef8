"""Liveness (`/health`) and readiness (`/ready`, JSON per component)."""

from __future__ import annotations

import asyncio
import os
import socket

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from gateway.wiring import Services

DATABASE_TIMEOUT_SECONDS = 2.0


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def database_status(services: Services) -> tuple[str, str | None]:
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_SECONDS):
            async with services.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not ready", whatever the driver raised
        return "down", type(exc).__name__
    return "ok", None


async def ready(request: Request) -> JSONResponse:
    services: Services = request.app.state.services
    status, detail = await database_status(services)
    flags = services.flags
    components = [
        {"name": "database", "status": status, "detail": detail},
        {
            "name": "flags",
            "status": "ok",
            "detail": f"revision {flags.snapshot.revision}, "
            f"confirmed {flags.age_seconds:.1f} s ago",
        },
    ]
    healthy = status == "ok"
    return JSONResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "instance": f"{socket.gethostname()}:{os.getpid()}",
            "flags": {"revision": flags.snapshot.revision, "ageSeconds": flags.age_seconds},
            "components": components,
        },
        status_code=200 if healthy else 503,
    )
