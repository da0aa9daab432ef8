"""The cache store and the metrics window on a real Redis."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from jewgo.flags.telemetry.window import Observation, WindowMetrics
from jewgo.gateway.data_cache.stores import RedisStore
from jewgo.gateway.data_cache.tiers import TieredCache
from tests.support import RedisProcess, eventually, free_port


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def test_the_redis_store_adds_only_where_absent_and_tombstones(
    redis: Redis, namespace: str
) -> None:
    store = RedisStore(redis, namespace)
    await store.add_many({"r:1": {"name": "old"}}, ttl=60)
    await store.add_many({"r:1": {"name": "ignored"}, "r:2": (1, 2.5)}, ttl=60)
    assert await store.get_many(["r:1", "r:2", "r:3"]) == [{"name": "old"}, (1, 2.5), None]
    await store.invalidate(["r:1"], ["restaurants", "restaurants"])
    await store.add_many({"r:1": {"name": "late"}}, ttl=60)
    assert await store.get_many(["r:1"]) == [None]
    assert await store.get_listed("restaurants", "rl:x") == (2, None)
    assert await store.get_listed("users", "ul:x") == (0, None)
    assert await store.flush() >= 2
    assert await store.get_listed("restaurants", "rl:x") == (0, None)


async def test_a_page_and_its_generation_come_back_in_one_round_trip(
    redis: Redis, namespace: str
) -> None:
    store = RedisStore(redis, namespace)
    await store.put_listed("rl:x", 0, ["page"], ttl=60)
    assert await store.get_listed("restaurants", "rl:x") == (0, ["page"])
    await store.invalidate([], ["restaurants"])
    assert await store.get_listed("restaurants", "rl:x") == (1, None)
    await store.put_listed("rl:x", 0, ["loaded before the write"], ttl=60)
    assert await store.get_listed("restaurants", "rl:x") == (1, None)
    await store.put_listed("rl:x", 1, ["new"], ttl=60)
    assert await store.get_listed("restaurants", "rl:x") == (1, ["new"])


async def test_a_dead_redis_costs_one_short_timeout_then_memory_serves(
    namespace: str,
) -> None:
    dead = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.1)
    cache = TieredCache(dead, namespace=namespace, timeout=0.2, retry_seconds=60)
    started = time.monotonic()
    await cache.add_many({"k": 1}, ttl=60)
    for _ in range(50):
        assert await cache.get_many(["k"]) == [1]
    assert time.monotonic() - started < 1.0
    assert cache.status[0] == "degraded"
    await dead.aclose()


async def test_missed_invalidations_are_caught_up_before_redis_is_trusted_again(
    own_redis: RedisProcess, namespace: str
) -> None:
    client = Redis.from_url(own_redis.url, socket_connect_timeout=0.2)
    now = [100.0]
    cache = TieredCache(
        client, namespace=namespace, timeout=0.2, retry_seconds=5, clock=lambda: now[0]
    )
    await cache.add_many({"r:1": "before the outage"}, ttl=600)
    own_redis.kill()
    await cache.invalidate(["r:1"], ["restaurants"])  # cannot reach Redis
    assert cache.status[0] == "degraded"
    own_redis.start()  # an empty Redis would forget anyway; refill it as if it had kept data
    await RedisStore(client, namespace).add_many({"r:1": "stale"}, ttl=600)
    assert await cache.get_many(["r:1"]) == [None]  # the breaker is open: memory, forgotten
    now[0] += 5  # a retry is due: a recovery starts, off the request path
    assert await cache.get_many(["r:1"]) == [None]  # memory meanwhile: forgotten

    async def recovered() -> bool:
        return cache.status[0] == "ok"

    await eventually(recovered)
    assert await cache.get_many(["r:1"]) == [None]  # flushed, not stale
    assert cache.status[0] == "ok"
    await client.aclose()


async def test_two_instances_see_the_same_fleet_wide_counts(redis: Redis, namespace: str) -> None:
    one = WindowMetrics(redis, namespace=namespace, bucket_seconds=5)
    two = WindowMetrics(redis, namespace=namespace, bucket_seconds=5)
    for _ in range(3):
        one.record(Observation("reviews", "v4", 0.01, internal_error=False))
    two.record(Observation("reviews", "v4", 0.5, internal_error=True))
    two.record(Observation("reviews", "v3", 0.02, internal_error=False))
    await one.flush()
    await two.flush()
    seen_by_one, seen_by_two = await one.window(60), await two.window(60)
    assert seen_by_one == seen_by_two
    v4 = seen_by_one[("reviews", "v4")]
    assert (v4.calls, v4.errors) == (4, 1)
    assert seen_by_one[("reviews", "v3")].calls == 1
    assert one.local_window(60)[("reviews", "v4")].calls == 3


async def test_without_redis_the_window_is_local(namespace: str) -> None:
    dead = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.1)
    metrics = WindowMetrics(dead, namespace=namespace, timeout=0.1)
    metrics.record(Observation("users", "v3", 0.01, internal_error=False))
    await metrics.flush()  # fails, keeps the counts for later
    window = await metrics.window(60)
    assert window[("users", "v3")].calls == 1
    assert metrics.fleet_wide is False
    await dead.aclose()


async def test_a_page_is_stored_only_where_its_generation_was_read(
    redis: Redis, namespace: str
) -> None:
    """A page loaded while the breaker changed state must not reach the other layer: a
    memory generation could pass for current in Redis, and the other way round."""
    cache = TieredCache(redis, namespace=namespace, retry_seconds=60)
    stamp, _ = await cache.get_listed("restaurants", "rl:a")  # read on Redis
    cache.breaker.trip()  # Redis "fails" while the page loads
    await cache.put_listed("rl:a", stamp, ["page"], ttl=60)
    assert cache.memory.get_listed("restaurants", "rl:a") == (0, None)

    stamp, _ = await cache.get_listed("restaurants", "rl:b")  # read from memory
    cache.breaker.reset()  # Redis is back before the page is stored
    await cache.put_listed("rl:b", stamp, ["page"], ttl=60)
    assert await RedisStore(redis, namespace).get_listed("restaurants", "rl:b") == (0, None)
    assert cache.memory.get_listed("restaurants", "rl:b") == (0, ["page"])


async def test_a_time_series_is_fleet_wide_and_in_steps(redis: Redis, namespace: str) -> None:
    now = [1_800_000_000.0]  # a step boundary: 60 s steps start on whole minutes
    one = WindowMetrics(redis, namespace=namespace, bucket_seconds=5, clock=lambda: now[0])
    two = WindowMetrics(redis, namespace=namespace, bucket_seconds=5, clock=lambda: now[0])
    one.record(Observation("reviews", "v4", 0.01, internal_error=False))
    now[0] += 61  # the next minute
    two.record(Observation("reviews", "v4", 0.01, internal_error=True))
    two.record(Observation("reviews", "v3", 0.01, internal_error=False))
    await one.flush()
    await two.flush()
    points = await one.series(180, 60, [("reviews", "v4"), ("reviews", "v3")])
    starts = [start for start, _ in points]
    assert starts[-1] == 1_800_000_060 and len(starts) in (3, 4)  # 180 s of 5 s buckets
    assert all(b - a == 60 for a, b in itertools.pairwise(starts))
    by_start = dict(points)
    assert by_start[1_800_000_000][("reviews", "v4")].calls == 1
    last = by_start[1_800_000_060]
    assert (last[("reviews", "v4")].errors, last[("reviews", "v3")].calls) == (1, 1)
    assert await two.series(180, 60, [("reviews", "v4")]) == await one.series(
        180, 60, [("reviews", "v4")]
    )
