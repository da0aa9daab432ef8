"""The process's Redis client, built from settings to fail fast."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from jewgo.gateway.settings import Settings


def create_redis(settings: Settings) -> Redis | None:
    """A Redis client that fails fast: a dead Redis must never hold a request up."""
    if not settings.redis_url:
        return None
    timeout = settings.redis_timeout_seconds
    return Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=timeout,
        socket_timeout=timeout * 4,
        retry=Retry(NoBackoff(), 0),
    )
