"""The two layers of the response cache: an in-process near cache bounded in bytes, and
Redis shared by the fleet. `gateway.response_cache.cache` puts them together.

Both refuse to store an answer computed before a purge of one of its tags: a reader
notes where purges stood when it looked up (a *ticket*), and the store checks that no
tag of its answer was purged since. Redis keys (under `<namespace>:rc:`):

    era               bumped after purges Redis missed: every older entry is unreachable
    epoch             bumped by every purge (pub/sub messages carry it)
    e:<era>:<key>     an entry: its meta line (JSON) and its body
    t:<tag>           the keys of the entries carrying a tag
    p:<tag>           the epoch at which the tag was last purged
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

# What an entry costs beyond its body and its tags: its key, meta and their bookkeeping.
ENTRY_OVERHEAD_BYTES = 512
# What a tag costs beyond its characters, measured with tracemalloc (CPython 3.11): its
# string object, its slot in the entry's frozenset, and the index by tag (a dict slot
# and a set of keys). A page of 100 reviews carries 100 tags: ~33 KB, twice its body.
TAG_OVERHEAD_BYTES = 340

_LOOKUP = """
local p = ARGV[1]
local era = redis.call('GET', p .. 'era') or '0'
local epoch = redis.call('GET', p .. 'epoch') or '0'
return {era, epoch, redis.call('GET', p .. 'e:' .. era .. ':' .. ARGV[2])}
"""
_STORE = """
local p = ARGV[1]
if (redis.call('GET', p .. 'era') or '0') ~= ARGV[2] then return 0 end
local since = tonumber(ARGV[3])
for i = 8, #ARGV do
  if tonumber(redis.call('GET', p .. 'p:' .. ARGV[i]) or '-1') > since then return 0 end
end
local k = p .. 'e:' .. ARGV[2] .. ':' .. ARGV[4]
redis.call('SET', k, ARGV[6], 'PX', ARGV[5])
for i = 8, #ARGV do
  redis.call('SADD', p .. 't:' .. ARGV[i], k)
  redis.call('PEXPIRE', p .. 't:' .. ARGV[i], ARGV[7])
end
return 1
"""
_PURGE = """
local p = ARGV[1]
local e = redis.call('INCR', p .. 'epoch')
for i = 4, #ARGV do
  redis.call('SET', p .. 'p:' .. ARGV[i], e, 'PX', ARGV[3])
  local keys = redis.call('SMEMBERS', p .. 't:' .. ARGV[i])
  for j = 1, #keys, 500 do
    redis.call('DEL', unpack(keys, j, math.min(j + 499, #keys)))
  end
  redis.call('DEL', p .. 't:' .. ARGV[i])
end
local tags = {}
for i = 4, #ARGV do tags[#tags + 1] = ARGV[i] end
redis.call('PUBLISH', ARGV[2], e .. ' ' .. table.concat(tags, ' '))
return e
"""
_FLUSH = """
local p = ARGV[1]
redis.call('INCR', p .. 'era')
local e = redis.call('INCR', p .. 'epoch')
redis.call('PUBLISH', ARGV[2], e .. ' *')
return e
"""


@dataclass(frozen=True, slots=True)
class Entry:
    """One stored answer: `{"data": …}` as bytes, the versions that computed it, its tags."""

    body: bytes
    versions: Mapping[str, str]
    tags: frozenset[str]
    etag: str
    expires: float  # on the cache's clock
    stored: float
    operation: str | None = None  # the operation's name, for the request log

    @property
    def size(self) -> int:
        tags = sum(len(t) for t in self.tags) + TAG_OVERHEAD_BYTES * len(self.tags)
        return len(self.body) + tags + ENTRY_OVERHEAD_BYTES

    def encode(self) -> bytes:
        # The expiry travels as wall time: monotonic clocks differ between processes.
        left = self.expires - self.stored
        meta: dict[str, object] = {"v": dict(self.versions), "t": sorted(self.tags)}
        meta |= {"e": self.etag, "x": time.time() + left, "o": self.operation}
        return json.dumps(meta, separators=(",", ":")).encode() + b"\n" + self.body

    @classmethod
    def decode(cls, raw: bytes, *, now: float) -> Entry:
        """An entry read from Redis, on this process's clock (`now`)."""
        head, _, body = raw.partition(b"\n")
        meta = json.loads(head)
        expires = now + max(0.0, float(meta["x"]) - time.time())
        versions, tags = meta["v"], frozenset(meta["t"])
        return cls(body, versions, tags, meta["e"], expires, now, meta.get("o"))


class NearCache:
    """This process's entries: an LRU bounded in bytes, indexed by tag."""

    def __init__(self, budget_bytes: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._budget = budget_bytes
        self._clock = clock
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._by_tag: dict[str, set[str]] = {}
        self._purged: dict[str, int] = {}  # tag → local epoch of its last purge
        self.size = 0
        self.epoch = 0  # counts purges here (own writes and messages heard)
        self._floor = 0  # a clear refuses every answer computed before it

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires <= self._clock():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def put(self, key: str, entry: Entry, since: int) -> bool:
        """Keep `entry`, computed when this cache was at epoch `since`, unless one of its
        tags was purged since (or it alone is over the budget)."""
        if since < self._floor or entry.size > self._budget:
            return False
        if any(self._purged.get(tag, -1) > since for tag in entry.tags):
            return False
        if key in self._entries:
            self._drop(key)
        self._entries[key] = entry
        self.size += entry.size
        for tag in entry.tags:
            self._by_tag.setdefault(tag, set()).add(key)
        while self.size > self._budget:
            self._drop(next(iter(self._entries)))
        return True

    def purge(self, tags: Sequence[str]) -> None:
        self.epoch += 1
        for tag in tags:
            self._purged[tag] = self.epoch
            for key in self._by_tag.pop(tag, set()):
                self._drop(key)
        if len(self._purged) > 100_000:  # bounded: forget, and refuse what began before
            self.clear()

    def clear(self) -> None:
        self._entries.clear()
        self._by_tag.clear()
        self._purged.clear()
        self.size = 0
        self.epoch += 1
        self._floor = self.epoch

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        self.size -= entry.size
        for tag in entry.tags:
            keys = self._by_tag.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_tag[tag]


class RedisResponses:
    """The fleet's entries in Redis; every operation is one round trip (a Lua script)."""

    def __init__(self, redis: Redis, namespace: str, tag_seconds: float) -> None:
        self._redis = redis
        self.prefix = f"{namespace}:rc:"
        self.channel = f"{namespace}:rc:purged"
        self._tag_ms = str(int(tag_seconds * 1000))
        self._lookup = redis.register_script(_LOOKUP)
        self._store = redis.register_script(_STORE)
        self._purge = redis.register_script(_PURGE)
        self._flush = redis.register_script(_FLUSH)

    async def lookup(self, key: str) -> tuple[str, int, bytes | None]:
        """(era, epoch, the entry's bytes or None)."""
        era, epoch, raw = await self._lookup(args=[self.prefix, key])
        return era.decode(), int(epoch), raw

    async def store(
        self, key: str, era: str, since: int, value: bytes, ttl: float, tags: Sequence[str]
    ) -> bool:
        args: list[str | bytes | int] = [self.prefix, era, since, key, int(ttl * 1000), value]
        args += [self._tag_ms, *tags]
        return bool(await self._store(args=args))

    async def purge(self, tags: Sequence[str]) -> int:
        return int(await self._purge(args=[self.prefix, self.channel, self._tag_ms, *tags]))

    async def flush(self) -> int:
        return int(await self._flush(args=[self.prefix, self.channel]))

    async def epoch(self) -> int:
        return int(await self._redis.get(self.prefix + "epoch") or 0)
