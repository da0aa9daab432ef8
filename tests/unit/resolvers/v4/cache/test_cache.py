"""The v4 cache without Redis: the LRU store, read-through, and what a write invalidates."""

from __future__ import annotations

from typing import Any

import pytest

from jewgo.gateway.data_cache.stores import MemoryStore
from jewgo.gateway.data_cache.tiers import TieredCache
from jewgo.resolvers.domain import RestaurantFilter, RestaurantOrder
from jewgo.resolvers.ports import Change
from jewgo.resolvers.v4.cache.entries import CacheInvalidator, Ttl
from jewgo.resolvers.v4.cache.reads import CachedReads
from tests import seeded
from tests.fakes.memory import MemoryReads
from tests.fakes.memory_store import Store


def test_the_lru_evicts_the_least_recently_used() -> None:
    store = MemoryStore(max_entries=2)
    store.add_many({"a": 1, "b": 2}, ttl=60)
    assert store.get_many(["a"]) == [1]  # a is now the most recent
    store.add_many({"c": 3}, ttl=60)
    assert store.get_many(["a", "b", "c"]) == [1, None, 3]


def test_entries_expire() -> None:
    now = [1000.0]
    store = MemoryStore(clock=lambda: now[0])
    store.add_many({"a": 1}, ttl=5)
    now[0] += 4.9
    assert store.get_many(["a"]) == [1]
    now[0] += 0.2
    assert store.get_many(["a"]) == [None]


def test_a_tombstone_keeps_a_late_writer_from_restoring_old_data() -> None:
    now = [1000.0]
    store = MemoryStore(clock=lambda: now[0])
    store.add_many({"r:1": "old"}, ttl=60)
    store.invalidate(["r:1"], ["restaurants"])
    store.add_many({"r:1": "loaded before the write"}, ttl=60)
    assert store.get_many(["r:1"]) == [None]
    now[0] += 3
    store.add_many({"r:1": "new"}, ttl=60)
    assert store.get_many(["r:1"]) == ["new"]
    assert store.get_listed("restaurants", "rl:x") == (1, None)
    assert store.get_listed("users", "ul:x") == (0, None)


def test_a_page_is_served_only_at_the_generation_it_was_loaded_at() -> None:
    store = MemoryStore()
    store.put_listed("rl:x", 0, ["page"], ttl=60)
    assert store.get_listed("restaurants", "rl:x") == (0, ["page"])
    store.invalidate([], ["restaurants"])
    assert store.get_listed("restaurants", "rl:x") == (1, None)
    store.put_listed("rl:x", 0, ["loaded before the write"], ttl=60)  # a late reader
    assert store.get_listed("restaurants", "rl:x") == (1, None)
    store.put_listed("rl:x", 1, ["new"], ttl=60)
    assert store.get_listed("restaurants", "rl:x") == (1, ["new"])


def test_a_write_invalidates_exactly_what_it_affects() -> None:
    invalidator = CacheInvalidator(TieredCache(None), max_page_size=2)
    review = Change.of_review(review_id=9, restaurant_id=4, author_id=3)
    assert sorted(invalidator.keys(review)) == sorted(
        ["s", "r:4", "vh:4:1", "vh:4:2", "vh:4:3", "v:9", "u:3"]
    )
    assert invalidator.generations(review) == ["restaurants", "reviews", "users"]
    renamed = Change(restaurants=frozenset({4}))
    assert sorted(invalidator.keys(renamed)) == ["r:4", "s"]
    assert invalidator.generations(renamed) == ["restaurants"]
    promoted = Change(users=frozenset({3}))
    assert sorted(invalidator.keys(promoted)) == ["a:3", "s", "u:3"]
    assert invalidator.generations(promoted) == ["users"]


@pytest.fixture
def world() -> tuple[Store, TieredCache, Any]:
    data = seeded.dataset()
    store = Store.of(data.users, data.restaurants, data.reviews)
    cache = TieredCache(None)
    return store, cache, CachedReads(MemoryReads(store), cache, Ttl())


async def test_reads_come_from_the_cache_until_a_write_is_reported(
    world: tuple[Store, TieredCache, Any],
) -> None:
    store, cache, cached = world
    first = await cached.restaurants.by_ids([1, 2])
    store.restaurants[1]["name"] = "Renamed behind the cache's back"
    assert await cached.restaurants.by_ids([1, 2]) == first  # served from the cache
    await CacheInvalidator(cache, 100).changed(Change(restaurants=frozenset({1})))
    assert (await cached.restaurants.by_ids([1]))[1].name == "Renamed behind the cache's back"


async def test_a_new_generation_hides_old_pages(world: tuple[Store, TieredCache, Any]) -> None:
    store, cache, cached = world
    where, order = RestaurantFilter(), RestaurantOrder.NAME
    page = await cached.restaurants.page(where, order, None, 5)
    first = min(store.restaurants.values(), key=lambda r: (r["name"], r["id"]))
    store.restaurants[first["id"]]["status"] = "CLOSED"
    assert await cached.restaurants.page(where, order, None, 5) == page
    await CacheInvalidator(cache, 100).changed(Change(restaurants=frozenset({first["id"]})))
    fresh = await cached.restaurants.page(where, order, None, 5)
    assert first["id"] not in [r.id for r in fresh]


async def test_without_redis_the_cache_is_ok_in_memory() -> None:
    assert TieredCache(None).status == ("ok", "in-memory LRU (no REDIS_URL)")
