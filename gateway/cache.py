"""The cache store behind v4: Redis when configured, an in-memory LRU otherwise and while
Redis is unreachable.

A circuit breaker keeps a dead Redis off the request path: the first failure (or a
timeout of REDIS_TIMEOUT_SECONDS) opens it and requests use memory; after
CACHE_RETRY_SECONDS one request tries Redis again. Invalidations that could not reach
Redis are not lost: the namespace is flushed before Redis is trusted again. While on the
fallback, memory entries live at most CACHE_FALLBACK_TTL_SECONDS, because the other
instances' writes cannot reach this memory.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from redis.asyncio import Redis

from jewgo.gateway.cache_stores import MemoryStore, RedisStore
from jewgo.gateway.metrics import CACHE_FALLBACKS, CACHE_LOOKUPS

log = structlog.get_logger("jewgo.cache")
T = TypeVar("T")

_MISSING = object()


@dataclass(frozen=True, slots=True)
class _Stamp:
    """Where a list's generation was read (`redis` or `memory`), and its value there."""

    layer: str
    generation: int


@dataclass
class Breaker:
    """Closed: use Redis. Open: use memory until `retry_at`, then let one call try Redis."""

    retry_seconds: float
    clock: Callable[[], float] = time.monotonic
    open_since: float | None = None
    retry_at: float = 0.0
    missed_invalidations: bool = False

    @property
    def is_open(self) -> bool:
        return self.open_since is not None

    def allows_redis(self) -> bool:
        return self.open_since is None or self.clock() >= self.retry_at

    def trip(self) -> None:
        now = self.clock()
        if self.open_since is None:
            self.open_since = now
        self.retry_at = now + self.retry_seconds


class TieredCache:
    """The CacheStore of v4: Redis behind a breaker, memory as the fallback."""

    def __init__(
        self,
        redis: Redis | None,
        *,
        namespace: str = "jewgo",
        timeout: float = 0.25,
        retry_seconds: float = 5.0,
        fallback_ttl: float = 10.0,
        memory_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = RedisStore(redis, namespace) if redis is not None else None
        self.memory = MemoryStore(memory_entries, clock)
        self._timeout = timeout
        self._fallback_ttl = fallback_ttl
        self.breaker = Breaker(retry_seconds, clock)
        self._recovering = asyncio.Lock()

    @property
    def status(self) -> tuple[str, str]:
        """(`ok` | `degraded`, detail) for readiness."""
        if self._redis is None:
            return "ok", "in-memory LRU (no REDIS_URL)"
        if self.breaker.is_open:
            return "degraded", "Redis unreachable; serving from the in-memory fallback"
        return "ok", "Redis"

    async def _on_redis(
        self, operation: Callable[[RedisStore], Awaitable[T]], *, invalidation: bool = False
    ) -> T | object:
        """Run on Redis if the breaker allows; `_MISSING` means: use memory instead."""
        if self._redis is None or not self.breaker.allows_redis():
            if self._redis is not None:
                CACHE_FALLBACKS.inc()
                if invalidation:
                    self.breaker.missed_invalidations = True
            return _MISSING
        if self.breaker.is_open:
            # Half-open: Redis gets one try; on success, catch up before trusting it.
            async with self._recovering:
                if self.breaker.is_open and not await self._recover():
                    CACHE_FALLBACKS.inc()
                    if invalidation:
                        self.breaker.missed_invalidations = True
                    return _MISSING
        try:
            async with asyncio.timeout(self._timeout):
                return await operation(self._redis)
        except Exception as exc:  # down, timed out, refused: memory serves meanwhile
            self.breaker.trip()
            if invalidation:
                self.breaker.missed_invalidations = True
            CACHE_FALLBACKS.inc()
            log.warning("redis cache unavailable; using memory", error=type(exc).__name__)
            return _MISSING

    async def _recover(self) -> bool:
        assert self._redis is not None
        try:
            async with asyncio.timeout(self._timeout * 4):
                if self.breaker.missed_invalidations:
                    removed = await self._redis.flush()
                    log.info("redis cache flushed after missed invalidations", removed=removed)
        except Exception:
            self.breaker.trip()
            return False
        self.breaker = Breaker(self.breaker.retry_seconds, self.breaker.clock)
        # What memory learnt while Redis was away may be stale for other instances' writes.
        self.memory.clear()
        log.info("redis cache back in use")
        return True

    async def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        found = await self._on_redis(lambda store: store.get_many(keys))
        layer = "redis"
        if found is _MISSING:
            found, layer = self.memory.get_many(keys), "memory"
        assert isinstance(found, list)
        hits = sum(value is not None for value in found)
        if hits:
            CACHE_LOOKUPS.labels(layer, "hit").inc(hits)
        if len(found) - hits:
            CACHE_LOOKUPS.labels(layer, "miss").inc(len(found) - hits)
        return found

    async def add_many(self, items: Mapping[str, Any], ttl: float) -> None:
        done = await self._on_redis(lambda store: store.add_many(items, ttl))
        if done is _MISSING:
            fallback = ttl if self._redis is None else min(ttl, self._fallback_ttl)
            self.memory.add_many(items, fallback)

    async def get_listed(self, generation: str, key: str) -> tuple[_Stamp, Any | None]:
        """The value of a list `key` if cached at its kind's current generation, and the
        stamp (layer and generation) to store a freshly loaded value with."""
        found = await self._on_redis(lambda store: store.get_listed(generation, key))
        layer = "redis"
        if found is _MISSING:
            found, layer = self.memory.get_listed(generation, key), "memory"
        assert isinstance(found, tuple)
        CACHE_LOOKUPS.labels(layer, "miss" if found[1] is None else "hit").inc()
        return _Stamp(layer, found[0]), found[1]

    async def put_listed(self, key: str, stamp: object, value: Any, ttl: float) -> None:
        """Store `value` in the layer whose generation it was stamped with, and nowhere
        else: memory's generations know only this process's writes, so a page stamped
        by memory could pass for current in Redis (and the other way round)."""
        assert isinstance(stamp, _Stamp)
        if stamp.layer == "memory":
            fallback = ttl if self._redis is None else min(ttl, self._fallback_ttl)
            self.memory.put_listed(key, stamp.generation, value, fallback)
        else:  # on Redis, or not at all if the breaker opened meanwhile
            await self._on_redis(lambda store: store.put_listed(key, stamp.generation, value, ttl))

    async def invalidate(self, keys: Sequence[str], generations: Sequence[str]) -> None:
        # Memory always forgets too: it may serve again at the next outage.
        self.memory.invalidate(keys, generations)
        await self._on_redis(lambda store: store.invalidate(keys, generations), invalidation=True)
