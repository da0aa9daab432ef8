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
import pickle
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from redis.asyncio import Redis

from jewgo.gateway.metrics import CACHE_FALLBACKS, CACHE_LOOKUPS

log = structlog.get_logger("jewgo.cache")
T = TypeVar("T")

# A tombstone holds a deleted key for a moment: a reader that loaded before the write
# cannot put the old value back (entries are only ever added where absent).
TOMBSTONE_SECONDS = 2.0
_TOMBSTONE = b"\x00tomb"
_MISSING = object()
# The layout of cached values; bump when a cached dataclass changes shape.
FORMAT = "c1"


@dataclass(frozen=True, slots=True)
class _Stamp:
    """Where a list's generation was read (`redis` or `memory`), and its value there."""

    layer: str
    generation: int


@dataclass(frozen=True, slots=True)
class _Listed:
    """A cached page or count, valid while its kind of list is at `generation`."""

    generation: int
    value: Any


class MemoryStore:
    """An LRU of Python objects with expiry, tombstones and generations."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._max = max_entries
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._generations: dict[str, int] = {}

    def clear(self) -> None:
        self._entries.clear()

    def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        now = time.monotonic()
        found: list[Any | None] = []
        for key in keys:
            entry = self._entries.get(key)
            if entry is None or entry[0] <= now:
                if entry is not None:
                    del self._entries[key]
                found.append(None)
                continue
            self._entries.move_to_end(key)
            found.append(None if entry[1] is _TOMBSTONE else entry[1])
        return found

    def add_many(self, items: Mapping[str, Any], ttl: float) -> None:
        now = time.monotonic()
        for key, value in items.items():
            entry = self._entries.get(key)
            if entry is not None and entry[0] > now:
                continue
            self._entries[key] = (now + ttl, value)
            self._entries.move_to_end(key)
        self._evict()

    def get_listed(self, generation: str, key: str) -> tuple[int, Any | None]:
        current = self._generations.get(generation, 0)
        (entry,) = self.get_many([key])
        if isinstance(entry, _Listed) and entry.generation == current:
            return current, entry.value
        return current, None

    def put_listed(self, key: str, generation: int, value: Any, ttl: float) -> None:
        self._entries[key] = (time.monotonic() + ttl, _Listed(generation, value))
        self._entries.move_to_end(key)
        self._evict()

    def _evict(self) -> None:
        """Drop the least recently used entries beyond the limit."""
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def invalidate(self, keys: Sequence[str], generations: Sequence[str]) -> None:
        until = time.monotonic() + TOMBSTONE_SECONDS
        for key in keys:
            self._entries[key] = (until, _TOMBSTONE)
        for name in generations:
            self._generations[name] = self._generations.get(name, 0) + 1


class RedisStore:
    """The same operations on Redis, values pickled (Redis is ours, as in Django's cache)."""

    def __init__(self, redis: Redis, namespace: str) -> None:
        self._redis = redis
        self._prefix = f"{namespace}:{FORMAT}:"

    def _key(self, key: str) -> str:
        return self._prefix + key

    async def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        if not keys:
            return []
        raw = await self._redis.mget([self._key(k) for k in keys])
        found: list[Any | None] = []
        for value in raw:
            if not isinstance(value, bytes) or value == _TOMBSTONE:
                found.append(None)
                continue
            try:
                found.append(pickle.loads(value))  # our own Redis, our own values
            except Exception:  # an entry of an older layout: a miss
                found.append(None)
        return found

    async def add_many(self, items: Mapping[str, Any], ttl: float) -> None:
        if not items:
            return
        pipe = self._redis.pipeline(transaction=False)
        milliseconds = max(1, int(ttl * 1000))
        for key, value in items.items():
            pipe.set(self._key(key), pickle.dumps(value, protocol=5), px=milliseconds, nx=True)
        await pipe.execute()

    async def get_listed(self, generation: str, key: str) -> tuple[int, Any | None]:
        """The list's current generation and, if cached for it, the value: one round trip."""
        raw_generation, raw = await self._redis.mget(
            [self._key(f"gen:{generation}"), self._key(key)]
        )
        current = int(raw_generation) if raw_generation is not None else 0
        if isinstance(raw, bytes):
            try:
                entry = pickle.loads(raw)  # our own Redis, our own values
            except Exception:  # an entry of an older layout: a miss
                return current, None
            if isinstance(entry, _Listed) and entry.generation == current:
                return current, entry.value
        return current, None

    async def put_listed(self, key: str, generation: int, value: Any, ttl: float) -> None:
        entry = pickle.dumps(_Listed(generation, value), protocol=5)
        await self._redis.set(self._key(key), entry, px=max(1, int(ttl * 1000)))

    async def invalidate(self, keys: Sequence[str], generations: Sequence[str]) -> None:
        pipe = self._redis.pipeline(transaction=False)
        hold = int(TOMBSTONE_SECONDS * 1000)
        for key in keys:
            pipe.set(self._key(key), _TOMBSTONE, px=hold)
        for name in generations:
            pipe.incr(self._key(f"gen:{name}"))
        await pipe.execute()

    async def flush(self) -> int:
        """Remove every entry of this namespace (after invalidations were missed)."""
        removed = 0
        async for batch in self._batches(f"{self._prefix}*"):
            removed += int(await self._redis.unlink(*batch))
        return removed

    async def _batches(self, pattern: str) -> Any:
        batch: list[bytes] = []
        async for key in self._redis.scan_iter(match=pattern, count=500):
            batch.append(key)
            if len(batch) >= 500:
                yield batch
                batch = []
        if batch:
            yield batch


@dataclass
class Breaker:
    """Closed: use Redis. Open: use memory until `retry_at`, then let one call try Redis."""

    retry_seconds: float
    open_since: float | None = None
    retry_at: float = 0.0
    missed_invalidations: bool = False

    @property
    def is_open(self) -> bool:
        return self.open_since is not None

    def allows_redis(self) -> bool:
        return self.open_since is None or time.monotonic() >= self.retry_at

    def trip(self) -> None:
        now = time.monotonic()
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
    ) -> None:
        self._redis = RedisStore(redis, namespace) if redis is not None else None
        self.memory = MemoryStore(memory_entries)
        self._timeout = timeout
        self._fallback_ttl = fallback_ttl
        self.breaker = Breaker(retry_seconds)
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
        self.breaker = Breaker(self.breaker.retry_seconds)
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
