"""The near cache (bounded in bytes, purged by tag, refusing answers older than a purge)
and the tags of writes, with an injected clock."""

from __future__ import annotations

import tracemalloc

from jewgo.gateway.data_cache.tiers import Breaker
from jewgo.gateway.response_cache.cache import ResponseCache
from jewgo.gateway.response_cache.door import splice
from jewgo.gateway.response_cache.store import ENTRY_OVERHEAD_BYTES, Entry, NearCache
from jewgo.resolvers.ports import Change
from jewgo.resolvers.v4.cache.tags import changed_tags


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def entry(tags: set[str], body: bytes = b'{"data":{}}', expires: float = 1e9) -> Entry:
    return Entry(body, {"restaurants": "v4"}, frozenset(tags), 'W/"x"', expires, 0.0)


def test_a_purge_drops_the_entries_of_its_tags_and_no_other() -> None:
    near = NearCache(10_000)
    near.put("a", entry({"r:1", "lv:r1"}), near.epoch)
    near.put("b", entry({"r:2", "lv:r2"}), near.epoch)
    near.purge(sorted(changed_tags(Change.of_review(9, 1, 3))))
    assert near.get("a") is None and near.get("b") is not None


def test_an_answer_computed_before_a_purge_of_its_tags_is_not_kept() -> None:
    near = NearCache(10_000)
    ticket = near.epoch
    near.purge(["r:1"])
    assert not near.put("a", entry({"r:1"}), ticket)
    assert near.put("b", entry({"r:2"}), ticket)  # other tags: kept
    near.clear()
    assert not near.put("c", entry({"r:3"}), ticket)  # a clear refuses everything older


def test_the_budget_bounds_the_bytes_held() -> None:
    one = entry({"r:1"}, body=b"x" * 1000)
    near = NearCache(3 * one.size)
    for n in range(10):
        near.put(f"k{n}", entry({f"r:{n}"}, body=b"x" * 1000), near.epoch)
        assert near.size <= 3 * one.size
    assert len(near) == 3 and near.get("k9") is not None and near.get("k0") is None
    assert not near.put("huge", entry({"r:1"}, body=b"x" * 4 * one.size), near.epoch)
    assert one.size > 1000 + ENTRY_OVERHEAD_BYTES - 1


def test_entries_expire_on_the_clock() -> None:
    clock = Clock()
    near = NearCache(10_000, clock)
    near.put("a", entry({"r:1"}, expires=clock.now + 5), near.epoch)
    clock.now += 4.9
    assert near.get("a") is not None
    clock.now += 0.2
    assert near.get("a") is None and near.size == 0


def test_an_entry_survives_its_encoding() -> None:
    stored = entry({"r:1", "lr"}, body=b'{"data":{"a":"line\\nbreak"}}')
    back = Entry.decode(stored.encode(), now=5.0)
    assert (back.body, back.tags, back.versions, back.etag) == (
        stored.body,
        stored.tags,
        stored.versions,
        stored.etag,
    )


def test_extensions_are_spliced_into_the_stored_bytes() -> None:
    body = splice(b'{"data":{"me":null}}', {"requestId": "r1", "versions": {"users": "v4"}})
    assert body == b'{"data":{"me":null},"extensions":{"requestId":"r1","versions":{"users":"v4"}}}'


def test_writes_name_what_they_change() -> None:
    review = changed_tags(Change.of_review(7, 11, 3))
    assert {"v:7", "lv", "r:11", "lv:r11", "lr", "u:3", "lv:u3", "lu", "s"} == review
    renamed = changed_tags(Change(restaurants=frozenset({12})))
    assert "r:11" not in renamed and "lv:r11" not in renamed and "r:12" in renamed


async def test_without_redis_own_writes_purge_and_messages_heal_gaps() -> None:
    cache = ResponseCache(
        None,
        namespace="t",
        budget_bytes=10_000,
        max_ttl=60,
        check_seconds=1,
        fallback_ttl=10,
        timeout=0.1,
        breaker=Breaker(5),
    )
    found, ticket = await cache.lookup("k")
    assert found is None
    await cache.store("k", entry({"r:1"}), ticket, 60)
    assert (await cache.lookup("k"))[0] is not None
    await cache.purge({"r:1"})
    assert (await cache.lookup("k"))[0] is None
    await cache.store("k", entry({"r:2"}), (await cache.lookup("k"))[1], 60)
    cache.heard(b"1 r:9")
    assert (await cache.lookup("k"))[0] is not None
    cache.heard(b"3 r:9")  # message 2 was lost: start afresh
    assert (await cache.lookup("k"))[0] is None


def test_the_budget_bounds_the_memory_really_held() -> None:
    """Entries of many tags (a page of 100 reviews) cost what their size says: the tags'
    strings, their sets and the index by tag, not only the body's bytes."""
    budget = 2_000_000
    tracemalloc.start()
    try:
        near = NearCache(budget)
        before = tracemalloc.get_traced_memory()[0]
        for n in range(400):
            tags = {f"v:{n * 100 + i}" for i in range(100)} | {"lv"}
            near.put(f"{n:040x}", entry(tags, body=b"x" * 14_000), near.epoch)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert near.size <= budget
    assert held <= 1.25 * budget, held
