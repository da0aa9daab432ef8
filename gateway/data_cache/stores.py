"""The two layers of the v4 cache store: an in-memory LRU and Redis, with the same
operations (values, tombstones, list generations); `gateway.data_cache.tiers` puts them behind a
breaker."""

from __future__ import annotations

import pickle
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

# A tombstone holds a deleted key for a moment: a reader that loaded before the write
# cannot put the old value back (entries are only ever added where absent).
TOMBSTONE_SECONDS = 2.0
_TOMBSTONE = b"\x00tomb"
# The layout of cached values; bump when a cached dataclass changes shape.
FORMAT = "c1"
EPOCH = "invalidations"  # counts invalidations (the near tiers' check; the script's)
# ARGV: prefix, channel, tombstone ms, tombstone, the number of keys, the keys, the
# generations.
_INVALIDATE = """
local prefix, count = ARGV[1], tonumber(ARGV[5])
local keys, generations = {}, {}
for i = 6, 5 + count do
  redis.call('SET', prefix .. ARGV[i], ARGV[4], 'PX', ARGV[3])
  keys[#keys + 1] = ARGV[i]
end
for i = 6 + count, #ARGV do
  redis.call('INCR', prefix .. 'gen:' .. ARGV[i])
  generations[#generations + 1] = ARGV[i]
end
local epoch = redis.call('INCR', prefix .. 'invalidations')
redis.call('PUBLISH', ARGV[2], cjson.encode({e = epoch, k = keys, g = generations}))
return epoch
"""
# ARGV: prefix, channel. After a flush: every near tier clears.
_CLEARED = """
local epoch = redis.call('INCR', ARGV[1] .. 'invalidations')
redis.call('PUBLISH', ARGV[2], cjson.encode({e = epoch, all = true}))
return epoch
"""


@dataclass(frozen=True, slots=True)
class Listed:
    """A cached page or count, valid while its kind of list is at `generation`."""

    generation: int
    value: Any


class MemoryStore:
    """An LRU of Python objects with expiry, tombstones and generations."""

    def __init__(
        self, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._generations: dict[str, int] = {}

    def clear(self) -> None:
        self._entries.clear()

    def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        now = self._clock()
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
        now = self._clock()
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
        if isinstance(entry, Listed) and entry.generation == current:
            return current, entry.value
        return current, None

    def put_listed(self, key: str, generation: int, value: Any, ttl: float) -> None:
        self._entries[key] = (self._clock() + ttl, Listed(generation, value))
        self._entries.move_to_end(key)
        self._evict()

    def _evict(self) -> None:
        """Drop the least recently used entries beyond the limit."""
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def invalidate(self, keys: Sequence[str], generations: Sequence[str]) -> None:
        until = self._clock() + TOMBSTONE_SECONDS
        for key in keys:
            self._entries[key] = (until, _TOMBSTONE)
        for name in generations:
            self._generations[name] = self._generations.get(name, 0) + 1


class RedisStore:
    """The same operations on Redis, values pickled (Redis is ours, as in Django's cache)."""

    def __init__(self, redis: Redis, namespace: str) -> None:
        self._redis = redis
        self._prefix = f"{namespace}:{FORMAT}:"
        self.channel = f"{namespace}:{FORMAT}:invalidated"
        self._invalidate = redis.register_script(_INVALIDATE)
        self._cleared = redis.register_script(_CLEARED)

    def _key(self, key: str) -> str:
        return self._prefix + key

    async def ping(self) -> None:
        await self._redis.ping()

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
            if isinstance(entry, Listed) and entry.generation == current:
                return current, entry.value
        return current, None

    async def put_listed(self, key: str, generation: int, value: Any, ttl: float) -> None:
        entry = pickle.dumps(Listed(generation, value), protocol=5)
        await self._redis.set(self._key(key), entry, px=max(1, int(ttl * 1000)))

    async def invalidate(self, keys: Sequence[str], generations: Sequence[str]) -> int:
        """Tombstone `keys`, bump `generations`, and announce both on the channel with
        the namespace's new invalidation epoch (returned), in one script."""
        hold = str(int(TOMBSTONE_SECONDS * 1000))
        arguments: list[str | bytes] = [self._prefix, self.channel, hold, _TOMBSTONE]
        arguments += [str(len(keys)), *keys, *generations]
        return int(await self._invalidate(args=arguments))

    async def epoch(self) -> int:
        """How many invalidations the namespace has had (0 after a flush)."""
        raw = await self._redis.get(self._key(EPOCH))
        return int(raw) if raw is not None else 0

    async def flush(self) -> int:
        """Remove every entry of this namespace (after invalidations were missed), and
        announce it: the invalidation epoch goes on counting (never back to a value a
        near tier has seen), and every near tier clears."""
        removed = 0
        epoch = self._key(EPOCH).encode()
        async for batch in self._batches(f"{self._prefix}*"):
            batch = [key for key in batch if key != epoch]
            if batch:
                removed += int(await self._redis.unlink(*batch))
        await self._cleared(args=[self._prefix, self.channel])
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
