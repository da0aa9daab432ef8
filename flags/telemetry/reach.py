"""How many distinct callers v4 has served under each domain flag: the `usersAffected` of
a rollout (its stickiness keys since it started).

Each process adds the keys it served to an hourly HyperLogLog per flag in Redis (about
once a second, off the request path; HyperLogLog's standard error is 0.81 %), and a
count since a time is PFCOUNT over the hours since then (a union, so a caller served in
several hours or by several instances counts once). Without Redis, or while it is away,
the count is this process's own: exact sets per hour, bounded by `max_local_keys`.
Counts are by the hour: a rollout counts the callers of the hour it started in from the
start of that hour, and at most `MAX_HOURS` back.

Signed-in users and anonymous callers are counted apart (`affected`): a user id comes
from a verified token, while an anonymous stickiness key (an `X-Client-Id`, else an
address) is the caller's to invent, so an operator knows which number one caller could
inflate. `count` is their sum.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog
from redis.asyncio import Redis

from jewgo.flags import tasks

log = structlog.get_logger("jewgo.reach")

HOUR = 3600
MAX_HOURS = 24 * 45  # longer rollouts count their last 45 days
KINDS = ("users", "anonymous")


def kind_of(key: str) -> str:
    """`users` for a signed-in user's stickiness key, else `anonymous`."""
    return "users" if key.startswith("user:") else "anonymous"


@dataclass(frozen=True, slots=True)
class Affected:
    users: int  # signed-in users: their ids come from verified tokens
    anonymous: int  # client ids and addresses: a caller may invent any number of them

    @property
    def total(self) -> int:
        return self.users + self.anonymous


class Reach:
    def __init__(
        self,
        redis: Redis | None = None,
        *,
        namespace: str = "jewgo",
        timeout: float = 0.25,
        flush_seconds: float = 1.0,
        max_local_keys: int = 100_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._prefix = f"{namespace}:reach"
        self._timeout = timeout
        self._flush_seconds = flush_seconds
        self._max_local = max_local_keys
        self._clock = clock
        self._local: dict[tuple[str, str, int], set[str]] = {}
        self._local_keys = 0
        self._pending: dict[tuple[str, str, int], set[str]] = {}
        self._flusher = tasks.Periodic(self.flush, self._flush_seconds, "reach-flush")
        self._last_hour = 0

    def _hour(self) -> int:
        return int(self._clock() // HOUR)

    def record(self, flag: str, key: str) -> None:
        """`key` was served by v4 under `flag` (the request path: memory only)."""
        hour = self._hour()
        if hour != self._last_hour:
            self._last_hour = hour
            self._forget_old()
        slot = (flag, kind_of(key), hour)
        seen = self._local.setdefault(slot, set())
        if key not in seen and self._local_keys < self._max_local:
            seen.add(key)
            self._local_keys += 1
        if self._redis is not None:
            self._pending.setdefault(slot, set()).add(key)

    def _hours(self, since: datetime) -> range:
        now = self._hour()
        first = max(int(since.timestamp() // HOUR), now - MAX_HOURS + 1)
        return range(min(first, now), now + 1)

    def local_affected(self, flag: str, since: datetime) -> Affected:
        counts = []
        for kind in KINDS:
            union: set[str] = set()
            for hour in self._hours(since):
                union |= self._local.get((flag, kind, hour), set())
            counts.append(len(union))
        return Affected(*counts)

    def local_count(self, flag: str, since: datetime) -> int:
        return self.local_affected(flag, since).total

    async def affected(self, flag: str, since: datetime) -> Affected:
        """Distinct signed-in users and anonymous keys v4 served under `flag` since
        `since`: the fleet's through Redis, else this process's."""
        if self._redis is not None:
            try:
                async with asyncio.timeout(self._timeout * 4):
                    pipe = self._redis.pipeline(transaction=False)
                    for kind in KINDS:
                        pipe.pfcount(*(self._key(flag, kind, h) for h in self._hours(since)))
                    users, anonymous = await pipe.execute()
                return Affected(int(users), int(anonymous))
            except Exception as exc:
                log.warning("fleet reach unavailable; local count", error=type(exc).__name__)
        return self.local_affected(flag, since)

    async def count(self, flag: str, since: datetime) -> int:
        """Distinct keys v4 served under `flag` since `since`, signed in or not."""
        return (await self.affected(flag, since)).total

    def _key(self, flag: str, kind: str, hour: int) -> str:
        return f"{self._prefix}:{flag}:{kind}:{hour}"

    async def flush(self) -> None:
        if self._redis is None or not self._pending:
            return
        pending, self._pending = self._pending, {}
        try:
            async with asyncio.timeout(self._timeout * 4):
                pipe = self._redis.pipeline(transaction=False)
                for (flag, kind, hour), keys in pending.items():
                    name = self._key(flag, kind, hour)
                    pipe.pfadd(name, *keys)
                    pipe.expire(name, (MAX_HOURS + 1) * HOUR)
                await pipe.execute()
        except Exception as exc:  # keep them for the next try, within the local bound
            if sum(len(keys) for keys in pending.values()) <= self._max_local:
                for slot, keys in pending.items():
                    self._pending.setdefault(slot, set()).update(keys)
            log.warning("reach flush failed", error=type(exc).__name__)

    def _forget_old(self) -> None:
        oldest = self._hour() - MAX_HOURS
        for slot in [s for s in self._local if s[2] < oldest]:
            self._local_keys -= len(self._local.pop(slot))

    async def start(self) -> None:
        if self._redis is not None:
            self._flusher.start()

    async def stop(self) -> None:
        await self._flusher.stop()
