"""Per-client rate limits: a budget per client per fixed minute, counted fleet-wide in
Redis when configured (and in this process while Redis is away). The gateway keeps two:
RATE_LIMIT_PER_MINUTE requests (each spends 1 on arrival), and RATE_LIMIT_COST_PER_MINUTE
units of estimated cost (each request spends its estimate before it runs: `gateway.request.demand`).

A client is its user id when the request carries a token with one (checked only for a
valid signature here; the database check comes after), else its address. X-Client-Id is
not trusted for this: anyone can send a new one with every request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import structlog
from redis.asyncio import Redis

from jewgo.gateway.data_cache.tiers import Breaker

log = structlog.get_logger("jewgo.ratelimit")
WINDOW_SECONDS = 60


class RateLimiter:
    def __init__(
        self,
        limit_per_minute: int,
        redis: Redis | None = None,
        *,
        namespace: str = "jewgo",
        kind: str = "rl",
        timeout: float = 0.25,
        retry_seconds: float = 5.0,
        clock: Callable[[], float] = time.time,
        breaker: Breaker | None = None,
        retry: Callable[[], None] | None = None,
    ) -> None:
        """`breaker` is shared with the cache (one dead Redis keeps both off it) and
        `retry` starts the cache's recovery when the breaker is due to try Redis again."""
        self.limit = limit_per_minute
        self._redis = redis
        self._prefix = f"{namespace}:{kind}"
        self._timeout = timeout
        self._clock = clock
        self._local: dict[tuple[int, str], int] = {}
        self._breaker = breaker or Breaker(retry_seconds)
        self._retry = retry

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    async def allow(self, client: str) -> tuple[bool, int]:
        """Whether this request of `client` is within the limit, and seconds until the
        window turns (for Retry-After)."""
        return await self.spend(client, 1)

    async def spend(self, client: str, units: int) -> tuple[bool, int]:
        """Spends `units` of `client`'s budget: whether it is still within the limit, and
        seconds until the window turns. What is spent stays spent, refused or not, as a
        request refused on arrival stays counted."""
        now = self._clock()
        window = int(now // WINDOW_SECONDS)
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now))
        count = await self._count_in_redis(window, client, now, units)
        if count is None:
            count = self._count_here(window, client, units)
        return count <= self.limit, retry_after

    async def _count_in_redis(self, window: int, client: str, now: float, units: int) -> int | None:
        if self._redis is None:
            return None
        if self._breaker.is_open:
            if not self._breaker.allows_redis():
                return None
            if self._retry is not None:  # the cache's recovery tries Redis, off this path
                self._retry()
                return None
        key = f"{self._prefix}:{window}:{client}"
        try:
            async with asyncio.timeout(self._timeout):
                pipe = self._redis.pipeline(transaction=False)
                pipe.incrby(key, units)
                pipe.expire(key, WINDOW_SECONDS * 2)
                count, _ = await pipe.execute()
            if self._breaker.is_open:  # our own half-open try succeeded
                self._breaker.reset()
            return int(count)
        except Exception as exc:  # count here meanwhile; try Redis again later
            self._breaker.trip()
            log.warning(
                "rate limit counters unavailable; counting locally", error=type(exc).__name__
            )
            return None

    def _count_here(self, window: int, client: str, units: int) -> int:
        if len(self._local) > 100_000 or any(w < window for w, _ in list(self._local)[:1]):
            self._local = {k: v for k, v in self._local.items() if k[0] >= window}
        key = (window, client)
        self._local[key] = self._local.get(key, 0) + units
        return self._local[key]
