"""The role cache: bounded in age (the staleness bound when a purge message is lost) and
in entries, forgetting a user when a write to their row is purged, never keeping a read
that a purge overtook; and the purges that reach it through the response cache."""

from __future__ import annotations

from jewgo.gateway.data_cache.tiers import Breaker
from jewgo.gateway.request.roles import RoleCache
from jewgo.gateway.response_cache.cache import ResponseCache
from jewgo.resolvers.domain import Role
from jewgo.resolvers.ports import Change
from jewgo.resolvers.v4.cache.tags import changed_tags


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_role_is_held_for_the_ttl_and_no_longer() -> None:
    clock = Clock()
    roles = RoleCache(1.0, 100, clock)
    assert roles.put(4, Role.ADMIN, roles.epoch)
    clock.now += 0.99
    assert roles.get(4) is Role.ADMIN
    clock.now += 0.01  # a demotion whose message was lost is seen from here on
    assert roles.get(4) is None


def test_a_write_to_a_user_row_forgets_that_user_only() -> None:
    roles = RoleCache(60, 100, Clock())
    for user in (3, 4):
        roles.put(user, Role.ADMIN, roles.epoch)
    roles.purged(sorted(changed_tags(Change(users=frozenset({4})))))
    assert roles.get(4) is None and roles.get(3) is Role.ADMIN


def test_a_review_by_a_user_does_not_forget_their_role() -> None:
    roles = RoleCache(60, 100, Clock())
    roles.put(3, Role.USER, roles.epoch)
    roles.purged(sorted(changed_tags(Change.of_review(9, 11, 3))))
    assert roles.get(3) is Role.USER


def test_a_read_overtaken_by_a_purge_is_not_kept() -> None:
    roles = RoleCache(60, 100, Clock())
    since = roles.epoch
    roles.purged(["w:4"])  # heard while the read of user 4's role was on its way
    assert not roles.put(4, Role.ADMIN, since)
    assert roles.get(4) is None
    assert roles.put(4, Role.USER, roles.epoch)


def test_the_entries_are_bounded() -> None:
    roles = RoleCache(60, 3, Clock())
    for user in range(1, 11):
        roles.put(user, Role.USER, roles.epoch)
    assert len(roles) == 3 and roles.get(10) is Role.USER and roles.get(1) is None


async def test_the_response_cache_tells_the_roles_of_purges_and_of_gaps() -> None:
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
    roles = RoleCache(60, 100, Clock())
    cache.watch(roles)
    for user in (3, 4, 5):
        roles.put(user, Role.ADMIN, roles.epoch)
    await cache.purge(changed_tags(Change(users=frozenset({3}))))  # an own write
    assert roles.get(3) is None and roles.get(4) is Role.ADMIN
    cache.heard(b"1 u:4 w:4")  # a write elsewhere
    assert roles.get(4) is None and roles.get(5) is Role.ADMIN
    cache.heard(b"3 r:1")  # epoch 2 was never heard: everything may have changed
    assert roles.get(5) is None
