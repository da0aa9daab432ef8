"""The cache store behind v4: Redis when configured, an in-memory LRU otherwise and while
Redis is unreachable.

A circuit breaker keeps a dead Redis off the request path: the first failure (or a
timeout of REDIS_TIMEOUT_SECONDS) opens it and requests use memory; after
CACHE_RETRY_SECONDS a recovery tries Redis again, off the request path. Invalidations
that could not reach Redis are not lost: the namespace is flushed before Redis is
trusted again. While on the
fallback, memory entries live at most CACHE_FALLBACK_TTL_SECONDS, because the other
instances' writes cannot reach this memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from redis.asyncio import Redis

from jewgo.flags import tasks
from jewgo.gateway.data_cache import channels
from jewgo.gateway.data_cache.near import NearTier, NearWatch
from jewgo.gateway.data_cache.stores import Listed, MemoryStore, RedisStore
from jewgo.gateway.telemetry.metrics import CACHE_FALLBACKS, CACHE_LOOKUPS

log = structlog.get_logger("jewgo.cache")
T = TypeVar("T")

_MISSING = object()
# A flush after missed invalidations runs off the request path; it may take this long.
RECOVERY_FLUSH_SECONDS = 30.0


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

    def reset(self) -> None:
        """Closed again: Redis answers and has caught up."""
        self.open_since = None
        self.retry_at = 0.0
        self.missed_invalidations = False

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
        near_entries: int = 0,
        near_seconds: float = 60.0,
        near_check_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        breaker: Breaker | None = None,
    ) -> None:
        """`breaker`: shared with the other users of the same Redis (the rate limit), so
        that one of them meeting a dead Redis keeps all of them off it; `near_entries`:
        the near tier's bound (0: none; `gateway.data_cache.near`)."""
        self._client = redis
        self._redis = RedisStore(redis, namespace) if redis is not None else None
        self.memory = MemoryStore(memory_entries, clock)
        near = NearTier(near_entries, near_seconds, clock) if redis and near_entries else None
        self.near = NearWatch(near, near_check_seconds, clock) if near is not None else None
        self._listener: asyncio.Task[None] | None = None
        self._timeout = timeout
        self._fallback_ttl = fallback_ttl
        self.breaker = breaker or Breaker(retry_seconds, clock)
        self._recovering = asyncio.Lock()
        self._recovery: asyncio.Task[bool] | None = None

    @property
    def status(self) -> tuple[str, str]:
        """(`ok` | `degraded`, detail) for readiness, as the breaker knows it."""
        if self._redis is None:
            return "ok", "in-memory LRU (no REDIS_URL)"
        if self.breaker.is_open:
            return "degraded", "Redis unreachable; serving from the in-memory fallback"
        return "ok", "Redis"

    def unreachable(self) -> None:
        """Redis is known to be away (readiness could not reach it): requests use memory
        from now on instead of each paying a timeout to find out."""
        if self._redis is not None and not self.breaker.is_open:
            self.breaker.trip()
            log.warning("redis cache unreachable; using memory")

    def _fall_back(self, invalidation: bool) -> object:
        CACHE_FALLBACKS.inc()
        if invalidation:
            self.breaker.missed_invalidations = True
        return _MISSING

    async def _on_redis(
        self, operation: Callable[[RedisStore], Awaitable[T]], *, invalidation: bool = False
    ) -> T | object:
        """Run on Redis if the breaker allows; `_MISSING` means: use memory instead.

        No request ever waits for Redis longer than one REDIS_TIMEOUT_SECONDS: while the
        breaker is open requests use memory at once, and when a retry is due the request
        that finds it out starts a recovery off the request path and uses memory too."""
        if self._redis is None:
            return _MISSING
        if self.breaker.is_open:
            if self.breaker.allows_redis():
                self.start_recovery()
            return self._fall_back(invalidation)
        try:
            async with asyncio.timeout(self._timeout):
                return await operation(self._redis)
        except Exception as exc:  # down, timed out, refused: memory serves meanwhile
            self.breaker.trip()
            log.warning("redis cache unavailable; using memory", error=type(exc).__name__)
            return self._fall_back(invalidation)

    def start_recovery(self) -> None:
        """Try Redis again in the background (once at a time)."""
        if self._recovery is None or self._recovery.done():
            # A context of its own: the request that noticed must not carry its work.
            self._recovery = asyncio.create_task(
                self.recover(), name="cache-recovery", context=contextvars.Context()
            )

    async def recover(self) -> bool:
        """Try Redis again: ping, then catch up on the invalidations it missed (flush this
        namespace) before trusting it; whether the breaker is closed afterwards."""
        if self._redis is None or not self.breaker.is_open:
            return True
        async with self._recovering:  # one recovery at a time; later callers see its result
            if not self.breaker.is_open:
                return True
            try:
                async with asyncio.timeout(self._timeout * 4):
                    await self._redis.ping()
                for _ in range(3):  # writes during a flush are missed again: flush again
                    if not self.breaker.missed_invalidations:
                        break
                    self.breaker.missed_invalidations = False
                    async with asyncio.timeout(RECOVERY_FLUSH_SECONDS):
                        removed = await self._redis.flush()
                    log.info("redis cache flushed after missed invalidations", removed=removed)
                else:
                    raise TimeoutError("invalidations keep being missed")
            except Exception as exc:
                self.breaker.missed_invalidations = True
                self.breaker.trip()
                log.warning("redis cache still unavailable", error=type(exc).__name__)
                return False
            self.breaker.reset()
            # What memory learnt while Redis was away may be stale for other instances' writes.
            self.memory.clear()
            if self.near is not None:
                self.near.lost()
            log.info("redis cache back in use")
            return True

    async def start(self) -> None:
        """Follow the fleet's invalidations (for the near tier)."""
        near, client, store = self.near, self._client, self._redis
        if near is not None and client is not None and store is not None and not self._listener:
            follow = channels.follow(
                client, store.channel, near.heard, subscribed=near.lost, what="near tier"
            )
            self._listener = asyncio.create_task(follow, name="cache-near-listen")

    async def _near(self) -> NearWatch | None:
        """The near tier, if it may serve now: Redis in use, and its epoch read within
        the check interval (a near tier found behind or ahead is cleared first)."""
        near = self.near
        if near is None or self.breaker.is_open:
            return None
        if near.due():
            epoch = await self._on_redis(lambda store: store.epoch())
            if epoch is _MISSING:
                return None
            assert isinstance(epoch, int)
            near.checked(epoch)  # if cleared, it serves nothing and learns from this read on
        return near

    async def close(self) -> None:
        await tasks.stop(self._listener)
        self._listener = None
        if self._recovery is not None:
            self._recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._recovery
            self._recovery = None

    async def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        near = await self._near()
        if near is None:
            return await self._get_many(keys)
        found = [near.near.get(key) for key in keys]
        wanted = [key for key, value in zip(keys, found, strict=True) if value is None]
        if len(wanted) < len(keys):
            CACHE_LOOKUPS.labels("near", "hit").inc(len(keys) - len(wanted))
        if not wanted:
            return found
        since = near.near.epoch
        read = iter(await self._get_many(wanted, near=near, since=since))
        return [value if value is not None else next(read) for value in found]

    async def _get_many(
        self, keys: Sequence[str], near: NearWatch | None = None, since: int = 0
    ) -> list[Any | None]:
        found = await self._on_redis(lambda store: store.get_many(keys))
        layer = "redis"
        if found is _MISSING:
            found, layer = self.memory.get_many(keys), "memory"
        assert isinstance(found, list)
        if layer == "redis" and near is not None:
            for key, value in zip(keys, found, strict=True):
                if value is not None:
                    near.near.put(key, value, since)
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
        near = await self._near()
        if near is not None:
            held = near.near.get(key)
            if isinstance(held, Listed):
                CACHE_LOOKUPS.labels("near", "hit").inc()
                return _Stamp("redis", held.generation), held.value
        since = near.near.epoch if near is not None else 0
        found = await self._on_redis(lambda store: store.get_listed(generation, key))
        layer = "redis"
        if found is _MISSING:
            found, layer = self.memory.get_listed(generation, key), "memory"
        assert isinstance(found, tuple)
        if layer == "redis" and near is not None and found[1] is not None:
            near.near.put(key, Listed(found[0], found[1]), since, generation)
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
        # Memory always forgets too: it may serve again at the next outage; the near
        # tier at once (the fleet's hear it from Redis).
        self.memory.invalidate(keys, generations)
        if self.near is not None:
            self.near.near.invalidate(keys, generations)
        await self._on_redis(lambda store: store.invalidate(keys, generations), invalidation=True)
