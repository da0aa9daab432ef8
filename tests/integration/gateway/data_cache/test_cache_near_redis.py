"""The v4 cache's near tier on a real Redis, two instances on one namespace: a value read
from Redis is then served from the process; an invalidation on either instance drops it
on both; a lost message is healed within the check interval; with Redis away the near
tier serves nothing and own writes still drop it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from jewgo.gateway.data_cache.stores import RedisStore
from jewgo.gateway.data_cache.tiers import TieredCache
from tests.support import RedisProcess, eventually


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def near_hits() -> float:
    labels = {"layer": "near", "result": "hit"}
    return REGISTRY.get_sample_value("jewgo_cache_lookups_total", labels) or 0.0


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


def instance(redis: Redis, namespace: str, clock: Clock | None = None) -> TieredCache:
    return TieredCache(
        redis,
        namespace=namespace,
        timeout=2.0,
        near_entries=100,
        near_check_seconds=1.0,
        clock=clock or Clock(),
    )


@pytest.fixture
async def pair(redis: Redis, namespace: str) -> AsyncIterator[tuple[TieredCache, TieredCache]]:
    """Instances A and B, each following the channel."""
    async with AsyncExitStack() as stack:
        a, b = instance(redis, namespace), instance(redis, namespace)
        for cache in (a, b):
            await cache.start()
            stack.push_async_callback(cache.close)
        await listening(redis, namespace, 2)
        yield a, b


async def listening(redis: Redis, namespace: str, count: int) -> None:
    channel = f"{namespace}:c1:invalidated"

    async def subscribed() -> bool:
        found = await redis.pubsub_numsub(channel)
        return bool(found[0][1] >= count)

    await eventually(subscribed)


async def test_a_value_read_from_redis_is_then_served_from_the_process(
    pair: tuple[TieredCache, TieredCache],
) -> None:
    a, _ = pair
    await a.add_many({"r:1": {"name": "Kosher Place"}}, ttl=60)
    assert await a.get_many(["r:1", "r:2"]) == [{"name": "Kosher Place"}, None]
    hits = near_hits()
    assert await a.get_many(["r:1"]) == [{"name": "Kosher Place"}]
    assert near_hits() == hits + 1


async def test_an_invalidation_on_b_drops_the_copy_on_a(
    pair: tuple[TieredCache, TieredCache],
) -> None:
    a, b = pair
    await a.add_many({"r:1": "old", "r:2": "other"}, ttl=60)
    await a.get_many(["r:1", "r:2"])
    await b.invalidate(["r:1"], [])
    assert a.near is not None

    async def dropped() -> bool:
        return a.near is not None and a.near.near.get("r:1") is None

    await eventually(dropped, within=5)
    assert await a.get_many(["r:1", "r:2"]) == [None, "other"]  # the tombstone, and a copy


async def test_a_page_held_on_a_goes_when_b_bumps_its_generation(
    pair: tuple[TieredCache, TieredCache],
) -> None:
    a, b = pair
    stamp, _ = await a.get_listed("restaurants", "rl:x")
    await a.put_listed("rl:x", stamp, ["page"], ttl=60)
    assert (await a.get_listed("restaurants", "rl:x"))[1] == ["page"]
    hits = near_hits()
    assert (await a.get_listed("restaurants", "rl:x"))[1] == ["page"]
    assert near_hits() == hits + 1
    await b.invalidate([], ["restaurants"])

    async def gone() -> bool:
        return (await a.get_listed("restaurants", "rl:x"))[1] is None

    await eventually(gone, within=5)


async def test_the_script_tombstones_bumps_counts_and_announces_in_one_step(
    redis: Redis, namespace: str
) -> None:
    cache = instance(redis, namespace)
    pubsub = redis.pubsub()
    await pubsub.subscribe(f"{namespace}:c1:invalidated")
    try:
        await cache.add_many({"r:1": "old"}, ttl=60)
        await cache.invalidate(["r:1"], ["restaurants"])
        await cache.invalidate([], [])
        heard = []
        for _ in range(50):  # bounded: the two messages, or fail
            found = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
            if found is not None:
                heard.append(json.loads(found["data"]))
            if len(heard) == 2:
                break
        assert heard == [{"e": 1, "k": ["r:1"], "g": ["restaurants"]}, {"e": 2, "k": {}, "g": {}}]
        assert await cache.get_many(["r:1"]) == [None]
        assert (await cache.get_listed("restaurants", "rl:x"))[0].generation == 1
    finally:
        await pubsub.aclose()


async def test_a_lost_message_is_healed_within_the_check_interval(
    redis: Redis, namespace: str
) -> None:
    clock = Clock()
    deaf = instance(redis, namespace, clock)  # never started: hears nothing
    writer = instance(redis, namespace)
    await writer.add_many({"r:1": "old"}, ttl=60)
    assert await deaf.get_many(["r:1"]) == ["old"]  # the first check, then from Redis
    await writer.invalidate(["r:1"], [])
    await writer.add_many({"r:1": "new"}, ttl=60)  # no effect: the tombstone holds
    clock.now += 0.5
    assert await deaf.get_many(["r:1"]) == ["old"]  # stale, within the bound
    clock.now += 0.6
    assert await deaf.get_many(["r:1"]) == [None]  # the check saw the epoch move


async def test_with_redis_away_nothing_is_served_near_and_own_writes_still_drop(
    own_redis: RedisProcess, namespace: str
) -> None:
    clock = Clock()
    client = Redis.from_url(own_redis.url, socket_connect_timeout=0.2)
    cache = instance(client, namespace, clock)
    try:
        await cache.add_many({"r:1": "from redis", "r:2": "also"}, ttl=60)
        assert await cache.get_many(["r:1", "r:2"]) == ["from redis", "also"]
        assert cache.near is not None and cache.near.near.get("r:1") == "from redis"
        own_redis.kill()
        assert await cache.get_many(["r:2"]) == ["also"]  # within the check interval
        clock.now += 1.0  # the check is due, Redis does not answer: memory serves
        assert await cache.get_many(["r:2"]) == [None] and cache.breaker.is_open
        await cache.invalidate(["r:1"], [])  # Redis misses it; this process does not
        assert cache.near.near.get("r:1") is None
    finally:
        await client.aclose()


async def test_a_flush_after_missed_invalidations_clears_every_near_tier(
    pair: tuple[TieredCache, TieredCache], redis: Redis, namespace: str
) -> None:
    """B missed invalidations while Redis was away: before trusting Redis again it
    flushes the namespace; A's near copies go too, and the epoch goes on counting (a
    near tier compares it for equality: it must never come back to a value seen)."""
    a, b = pair
    await a.add_many({"r:1": "old"}, ttl=60)
    await a.invalidate(["r:9"], [])
    await a.get_many(["r:1"])
    store = RedisStore(redis, namespace)
    before = await store.epoch()
    assert a.near is not None and a.near.near.get("r:1") == "old"
    b.breaker.trip()
    b.breaker.missed_invalidations = True
    b.breaker.retry_at = 0.0
    assert await b.recover()

    async def cleared() -> bool:
        return a.near is not None and a.near.near.get("r:1") is None

    await eventually(cleared, within=5)
    assert await store.epoch() == before + 1
    assert await a.get_many(["r:1"]) == [None]  # flushed from Redis too
