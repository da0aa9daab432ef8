"""The v4 cache's near tier, on an injected clock: it keeps what was read from Redis
for a while, drops what any instance invalidates, refuses a value read before a purge
of it, and is cleared when it may have missed an invalidation."""

from __future__ import annotations

from jewgo.gateway.data_cache.near import (
    EVERYTHING,
    MAX_PURGES,
    NearTier,
    NearWatch,
    message,
    parse,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def near(entries: int = 10, seconds: float = 60.0) -> tuple[NearTier, Clock]:
    clock = Clock()
    return NearTier(entries, seconds, clock), clock


def test_a_copy_lives_its_seconds_at_most() -> None:
    tier, clock = near(seconds=60)
    tier.put("r:1", "Kosher Place", tier.epoch)
    clock.now += 59.9
    assert tier.get("r:1") == "Kosher Place"
    clock.now += 0.2
    assert tier.get("r:1") is None and len(tier) == 0


def test_the_least_recently_used_copies_go_beyond_the_bound() -> None:
    tier, _ = near(entries=2)
    for key in ("a", "b"):
        tier.put(key, key.upper(), tier.epoch)
    assert tier.get("a") == "A"  # b is now the least recently used
    tier.put("c", "C", tier.epoch)
    assert (tier.get("a"), tier.get("b"), tier.get("c")) == ("A", None, "C")


def test_an_invalidation_drops_its_keys_and_the_lists_of_its_generations_only() -> None:
    tier, _ = near()
    tier.put("r:1", "one", tier.epoch)
    tier.put("r:2", "two", tier.epoch)
    tier.put("rl:page", ["one", "two"], tier.epoch, generation="restaurants")
    tier.put("ul:page", ["u"], tier.epoch, generation="users")
    tier.invalidate(["r:1"], ["restaurants"])
    assert tier.get("r:1") is None and tier.get("rl:page") is None
    assert tier.get("r:2") == "two" and tier.get("ul:page") == ["u"]


def test_a_value_read_before_a_purge_of_it_is_not_kept() -> None:
    tier, _ = near()
    since = tier.epoch  # a read begins
    tier.invalidate(["r:1"], ["restaurants"])  # a write lands meanwhile
    tier.put("r:1", "old", since)
    tier.put("rl:page", ["old"], since, generation="restaurants")
    tier.put("r:2", "untouched by the write", since)
    assert tier.get("r:1") is None and tier.get("rl:page") is None
    assert tier.get("r:2") == "untouched by the write"
    tier.put("r:1", "new", tier.epoch)  # read after the write
    assert tier.get("r:1") == "new"


def test_a_read_under_way_when_the_tier_is_cleared_is_not_kept() -> None:
    tier, _ = near()
    since = tier.epoch
    tier.clear()
    tier.put("r:1", "old", since)
    assert tier.get("r:1") is None


def test_a_heard_invalidation_is_applied_and_a_gap_clears_everything() -> None:
    tier, _ = near()
    watch = NearWatch(tier, 1.0, Clock())
    assert watch.checked(4) is False  # the first check: nothing known before it
    tier.put("r:1", "one", tier.epoch)
    tier.put("r:2", "two", tier.epoch)
    watch.heard(message(5, ["r:1"], []))
    assert (tier.get("r:1"), tier.get("r:2"), watch.seen) == (None, "two", 5)
    watch.heard(message(7, ["r:9"], []))  # 6 was never heard
    assert tier.get("r:2") is None and watch.seen == 7


def test_a_check_clears_a_tier_behind_or_ahead_of_redis_and_is_due_each_interval() -> None:
    tier, _ = near()
    clock = Clock()
    watch = NearWatch(tier, 1.0, clock)
    assert watch.due() and watch.checked(3) is False
    tier.put("r:1", "one", tier.epoch)
    assert not watch.due()
    clock.now += 1.0
    assert watch.due() and watch.checked(3) is True and tier.get("r:1") == "one"
    assert watch.checked(4) is False and tier.get("r:1") is None  # behind: a message lost
    tier.put("r:1", "one", tier.epoch)
    assert watch.checked(0) is False and tier.get("r:1") is None  # ahead: Redis flushed


def test_a_lost_subscription_forgets_what_was_heard() -> None:
    tier, _ = near()
    watch = NearWatch(tier, 1.0, Clock())
    watch.checked(2)
    tier.put("r:1", "one", tier.epoch)
    watch.lost()
    assert tier.get("r:1") is None and watch.seen == -1 and watch.due()


def test_messages_parse_as_lua_writes_them_and_nothing_else_does() -> None:
    assert parse(message(3, ["r:1"], ["restaurants"])) == (3, ["r:1"], ["restaurants"])
    assert parse(b'{"e":4,"k":{},"g":["users"]}') == (4, [], ["users"])  # cjson's empty list
    for junk in (b"", b"[]", b'{"e":"4"}', b'{"e":4,"k":[1]}', b'{"e":4,"g":{"a":1}}', b"\xff"):
        assert parse(junk) is None


def test_a_flushed_namespace_clears_every_near_tier() -> None:
    tier, _ = near()
    watch = NearWatch(tier, 1.0, Clock())
    watch.checked(2)
    tier.put("r:1", "one", tier.epoch)
    assert parse(b'{"e":3,"all":true}') == (3, [EVERYTHING], [EVERYTHING])
    since = tier.epoch
    watch.heard(b'{"e":3,"all":true}')
    tier.put("r:2", "read before the flush was heard", since)
    assert tier.get("r:1") is None and tier.get("r:2") is None and watch.seen == 3


def test_one_caller_at_a_time_is_told_to_check() -> None:
    clock = Clock()
    watch = NearWatch(near()[0], 1.0, clock)
    assert watch.due() and not watch.due()  # the second caller serves meanwhile
    clock.now += 1.0
    assert watch.due()


def test_old_purges_are_forgotten_and_reads_older_than_them_refused() -> None:
    tier, clock = near(entries=10)
    since = tier.epoch  # a read that somehow outlives the hold
    writes = MAX_PURGES // 200 + 10
    for n in range(writes):  # 100 keys a write, one write a second
        tier.invalidate([f"vh:{n}:{k}" for k in range(100)], ["reviews"])
        clock.now += 1.0
    assert len(tier._purged) <= MAX_PURGES // 2 + 200  # bounded, not cleared
    tier.put("vh:0:1", "stale", since)
    assert tier.get("vh:0:1") is None  # its purge is forgotten: the old read is refused
    recent = tier.epoch - 1
    tier.put(f"vh:{writes - 1}:1", "stale", recent)
    assert tier.get(f"vh:{writes - 1}:1") is None  # a recent purge is still known
    tier.put("r:1", "fresh", tier.epoch)
    assert tier.get("r:1") == "fresh"
