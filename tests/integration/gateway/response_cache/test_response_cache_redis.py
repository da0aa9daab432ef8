"""The response cache on a real Redis: two processes' caches sharing one namespace."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from jewgo.gateway.data_cache.tiers import Breaker
from jewgo.gateway.response_cache.cache import ResponseCache
from jewgo.gateway.response_cache.store import Entry
from tests.support import eventually


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


def cache(redis: Redis, namespace: str, clock: Clock) -> ResponseCache:
    return ResponseCache(
        redis,
        namespace=namespace,
        budget_bytes=100_000,
        max_ttl=60,
        check_seconds=2,
        fallback_ttl=10,
        timeout=1,
        breaker=Breaker(5),
        clock=clock,
    )


def entry(clock: Clock, tags: set[str]) -> Entry:
    return Entry(
        b'{"data":{"n":1}}', {"restaurants": "v4"}, frozenset(tags), "e", clock.now + 60, clock.now
    )


async def test_a_purge_on_one_instance_reaches_the_other_near_cache(
    redis: Redis, namespace: str
) -> None:
    clock = Clock()
    a, b = cache(redis, namespace, clock), cache(redis, namespace, clock)
    await b.start()
    try:
        _, ticket = await a.lookup("k")
        await a.store("k", entry(clock, {"r:1"}), ticket, 60)
        assert (await b.lookup("k"))[0] is not None  # from Redis, now near in B too
        assert len(b.near) == 1
        await a.purge({"r:1"})

        async def forgotten() -> bool:
            return len(b.near) == 0

        await eventually(forgotten, within=5)
        assert (await b.lookup("k"))[0] is None
    finally:
        await b.stop()


async def test_a_lost_message_is_healed_within_the_check_bound(
    redis: Redis, namespace: str
) -> None:
    clock = Clock()
    a, b = cache(redis, namespace, clock), cache(redis, namespace, clock)  # B hears nothing
    _, ticket = await a.lookup("k")
    await a.store("k", entry(clock, {"r:1"}), ticket, 60)
    assert (await b.lookup("k"))[0] is not None
    assert (await b.lookup("k"))[0] is not None  # near; the first check passed
    await a.purge({"r:1"})
    clock.now += 1.9
    assert (await b.lookup("k"))[0] is not None  # within the bound, B may not know yet
    clock.now += 0.2
    assert (await b.lookup("k"))[0] is None  # past it: B read the epoch and started afresh


async def test_an_answer_computed_across_a_purge_is_not_stored(
    redis: Redis, namespace: str
) -> None:
    clock = Clock()
    a, b = cache(redis, namespace, clock), cache(redis, namespace, clock)
    _, ticket = await a.lookup("k")  # A misses and starts executing
    await b.purge({"r:1"})  # B's write lands meanwhile
    await a.store("k", entry(clock, {"r:1"}), ticket, 60)
    assert (await b.lookup("k"))[0] is None
    assert (await a.lookup("k"))[0] is None


async def test_an_unreadable_entry_is_a_miss(redis: Redis, namespace: str) -> None:
    clock = Clock()
    a = cache(redis, namespace, clock)
    await redis.set(f"{namespace}:rc:e:0:k", b"not json\n{}")
    found, ticket = await a.lookup("k")
    assert found is None and ticket.era == "0"
