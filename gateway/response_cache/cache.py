"""The response cache: a near cache in process in front of Redis, purged by tag.

Every committed write (v3's and v4's, through the same `ChangeSink` that invalidates the
v4 data cache) purges its tags here first, then in Redis, whose script announces the
purge on pub/sub; every process drops those tags from its near cache on hearing it.
Staleness is bounded when a message is lost: at most every CHECK seconds a near hit
first reads Redis's purge epoch, and a near cache behind it is cleared. While Redis is
away (the breaker shared with the v4 cache is open) this process's own writes still
purge its near cache, and near entries are served only while younger than the fallback
TTL; purges Redis missed make every Redis entry unreachable (a new era) once it answers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import structlog
from redis.asyncio import Redis

from jewgo.flags import tasks
from jewgo.gateway.data_cache import channels
from jewgo.gateway.data_cache.tiers import Breaker
from jewgo.gateway.response_cache.store import Entry, NearCache, RedisResponses
from jewgo.gateway.telemetry.metrics import RESPONSE_CACHE, Children
from jewgo.resolvers.ports import Change, ChangeSink
from jewgo.resolvers.v4.cache.tags import changed_tags

log = structlog.get_logger("jewgo.response_cache")
T = TypeVar("T")
_AWAY = object()
_LOOKUPS = Children(RESPONSE_CACHE)


class PurgeWatcher(Protocol):
    """Told of every purge this process applies (the role cache watches for users)."""

    def purged(self, tags: Sequence[str]) -> None: ...

    def cleared(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Ticket:
    """Where purges stood when a lookup missed: an answer computed afterwards is stored
    only if none of its tags was purged since."""

    near: int
    era: str | None = None
    epoch: int = 0


class ResponseCache:
    def __init__(
        self,
        redis: Redis | None,
        *,
        namespace: str,
        budget_bytes: int,
        max_ttl: float,
        check_seconds: float,
        fallback_ttl: float,
        timeout: float,
        breaker: Breaker,
        retry: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.near = NearCache(budget_bytes, clock)
        self._redis = RedisResponses(redis, namespace, max_ttl * 2) if redis else None
        self._client = redis
        self._check_seconds = check_seconds
        self._fallback_ttl = fallback_ttl
        self._timeout = timeout
        self._breaker = breaker
        self._retry = retry
        self.clock = clock
        self.seen = -1  # the newest Redis epoch this near cache has applied
        self._checked = float("-inf")
        self._missed = False  # purges Redis did not get: flush it before trusting it
        self._task: asyncio.Task[None] | None = None
        self._watchers: list[PurgeWatcher] = []

    def watch(self, watcher: PurgeWatcher) -> None:
        self._watchers.append(watcher)

    def _purge_here(self, tags: Sequence[str]) -> None:
        self.near.purge(tags)
        for watcher in self._watchers:
            watcher.purged(tags)

    def _clear_here(self) -> None:
        self.near.clear()
        for watcher in self._watchers:
            watcher.cleared()

    async def _on_redis(self, call: Callable[[RedisResponses], Awaitable[T]]) -> T | object:
        if self._redis is None:
            return _AWAY
        if self._breaker.is_open:
            if self._breaker.allows_redis() and self._retry is not None:
                self._retry()
            return _AWAY
        try:
            async with asyncio.timeout(self._timeout):
                if self._missed:
                    self._clear_here()
                    self.seen = await self._redis.flush()
                    self._missed = False
                    log.info("response cache flushed after missed purges")
                return await call(self._redis)
        except Exception as exc:
            self._breaker.trip()
            log.warning("response cache: redis unavailable", error=type(exc).__name__)
            return _AWAY

    async def lookup(self, key: str) -> tuple[Entry | None, Ticket]:
        entry = self.near.get(key)
        if entry is not None and await self._near_current(entry):
            _LOOKUPS("near", "hit").inc()
            return entry, Ticket(self.near.epoch)
        since = self.near.epoch
        found = await self._on_redis(lambda store: store.lookup(key))
        if found is _AWAY:
            _LOOKUPS("near", "miss").inc()
            return None, Ticket(since)
        assert isinstance(found, tuple)
        era, epoch, raw = found
        if raw is None:
            _LOOKUPS("redis", "miss").inc()
            return None, Ticket(since, era, epoch)
        try:
            entry = Entry.decode(raw, now=self.clock())
        except (ValueError, KeyError, TypeError):  # not ours, or an older layout: a miss
            _LOOKUPS("redis", "miss").inc()
            return None, Ticket(since, era, epoch)
        self.near.put(key, entry, since)
        _LOOKUPS("redis", "hit").inc()
        return entry, Ticket(since, era, epoch)

    async def _near_current(self, entry: Entry) -> bool:
        """Whether a near entry may be served: Redis's purge epoch is read at most every
        CHECK seconds, and a near cache that missed a message is cleared."""
        if self._redis is None:
            return True
        now = self.clock()
        if now - self._checked < self._check_seconds:
            return True
        epoch = await self._on_redis(lambda store: store.epoch())
        if epoch is _AWAY:
            return now - entry.stored <= self._fallback_ttl
        assert isinstance(epoch, int)
        self._checked = now
        # Behind Redis (a message lost), or ahead of it (Redis lost its keys): start afresh.
        if epoch != self.seen:
            if self.seen >= 0:
                log.info("response cache: purge messages missed; near cache cleared")
                self._clear_here()
            else:  # the first check: the near cache may predate it, the watchers do not
                self.near.clear()
            self.seen = epoch
            return False
        return True

    async def store(self, key: str, entry: Entry, ticket: Ticket, ttl: float) -> None:
        redis_ok = ticket.era is not None
        if self._redis is not None and not redis_ok:
            # Computed while Redis was away: near only, and briefly (others' writes miss it).
            entry = _shortened(entry, self.clock() + min(ttl, self._fallback_ttl))
        self.near.put(key, entry, ticket.near)
        if redis_ok:
            era = ticket.era
            assert era is not None
            await self._on_redis(
                lambda store: store.store(
                    key, era, ticket.epoch, entry.encode(), ttl, sorted(entry.tags)
                )
            )

    async def purge(self, tags: set[str]) -> None:
        self._purge_here(sorted(tags))
        done = await self._on_redis(lambda store: store.purge(sorted(tags)))
        if done is _AWAY and self._redis is not None:
            self._missed = True

    async def start(self) -> None:
        if self._client is not None and self._task is None:
            assert self._redis is not None
            listen = channels.follow(
                self._client, self._redis.channel, self.heard, what="response cache"
            )
            self._task = asyncio.create_task(listen, name="response-cache-listen")

    async def stop(self) -> None:
        await tasks.stop(self._task)
        self._task = None

    def heard(self, data: bytes | str) -> None:
        """A purge announced on the channel: `<epoch> <tag>…`, or `<epoch> *` for all."""
        text = data.decode() if isinstance(data, bytes) else data
        head, _, rest = text.partition(" ")
        try:
            epoch = int(head)
        except ValueError:
            return
        tags = rest.split()
        if tags == ["*"] or (self.seen >= 0 and epoch > self.seen + 1):
            self._clear_here()  # everything, or a message was missed: start afresh
        else:
            self._purge_here(tags)
        self.seen = max(self.seen, epoch)


def _shortened(entry: Entry, expires: float) -> Entry:
    return dataclasses.replace(entry, expires=expires)


class Purging:
    """The ChangeSink of every write: the v4 data cache's invalidator, then this cache."""

    def __init__(self, inner: ChangeSink, responses: ResponseCache) -> None:
        self._inner = inner
        self._responses = responses

    async def changed(self, change: Change) -> None:
        await self._inner.changed(change)
        await self._responses.purge(changed_tags(change))
