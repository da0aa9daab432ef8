"""Tags: the entities and lists one v4 response read, and those one write changed.

`TaggedReads` wraps the read ports of a request and notes a tag for everything read;
`changed_tags` names what a committed `Change` (v3's and v4's alike) may have altered. A
cached response is purged when any of its tags is, and only then:

    r:<id>  v:<id>  u:<id>      a restaurant, a review, a user (or author) as read
    s                           the statistics
    lr                          any list or count of restaurants (ratings order them)
    lv                          review lists not scoped to a restaurant or an author
    lv:r<id>  lv:u<id>          the reviews of one restaurant, of one author
    lu                          any list or count of users
    w:<id>                      a user row written (its role, or deleted): carried by no
                                response; the identity's role cache forgets the user
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from jewgo.resolvers.domain import (
    Author,
    Restaurant,
    RestaurantFilter,
    RestaurantOrder,
    Review,
    Statistics,
    User,
    UserFilter,
)
from jewgo.resolvers.ports import Change
from jewgo.resolvers.v4.reads import (
    Reads,
    RestaurantReads,
    ReviewHead,
    ReviewQuery,
    ReviewReads,
    StatisticsReads,
    UserReads,
)


def changed_tags(change: Change) -> set[str]:
    """Every tag a response that could show what `change` altered carries."""
    tags = {"s"}
    for i in change.restaurants | change.rated:
        tags |= {f"r:{i}", f"lv:r{i}", "lr"}
    for i in change.reviews:
        tags |= {f"v:{i}", "lv"}
    for i in change.users | change.authors:
        tags |= {f"u:{i}", f"lv:u{i}", "lu"}
    tags |= {f"w:{i}" for i in change.users}
    return tags


def _review_list(query: ReviewQuery) -> str:
    if query.restaurant_id is not None:
        return f"lv:r{query.restaurant_id}"
    if query.author_id is not None:
        return f"lv:u{query.author_id}"
    return "lv"


class _Restaurants:
    def __init__(self, inner: RestaurantReads, tags: set[str]) -> None:
        self._inner, self._tags = inner, tags

    async def by_ids(self, ids: Sequence[int]) -> dict[int, Restaurant]:
        self._tags.update(f"r:{i}" for i in ids)
        return await self._inner.by_ids(ids)

    async def page(
        self,
        where: RestaurantFilter,
        order: RestaurantOrder,
        after: tuple[Any, ...] | None,
        limit: int,
    ) -> list[Restaurant]:
        self._tags.add("lr")
        found = await self._inner.page(where, order, after, limit)
        self._tags.update(f"r:{r.id}" for r in found)
        return found

    async def count(self, where: RestaurantFilter) -> int:
        self._tags.add("lr")
        return await self._inner.count(where)

    async def exists(self, restaurant_id: int) -> bool:
        self._tags.add(f"r:{restaurant_id}")
        return await self._inner.exists(restaurant_id)


class _Reviews:
    def __init__(self, inner: ReviewReads, tags: set[str]) -> None:
        self._inner, self._tags = inner, tags

    async def by_id(self, review_id: int) -> Review | None:
        self._tags.add(f"v:{review_id}")
        return await self._inner.by_id(review_id)

    async def page(
        self, query: ReviewQuery, after: tuple[Any, ...] | None, limit: int
    ) -> list[Review]:
        self._tags.add(_review_list(query))
        found = await self._inner.page(query, after, limit)
        self._tags.update(f"v:{v.id}" for v in found)
        return found

    async def count(self, query: ReviewQuery) -> int:
        self._tags.add(_review_list(query))
        return await self._inner.count(query)

    async def approved_heads(
        self, restaurant_ids: Sequence[int], limit: int
    ) -> dict[int, ReviewHead]:
        self._tags.update(f"lv:r{i}" for i in restaurant_ids)
        found = await self._inner.approved_heads(restaurant_ids, limit)
        self._tags.update(f"v:{v.id}" for head, _ in found.values() for v in head)
        return found


class _Users:
    def __init__(self, inner: UserReads, tags: set[str]) -> None:
        self._inner, self._tags = inner, tags

    async def by_id(self, user_id: int) -> User | None:
        self._tags.add(f"u:{user_id}")
        return await self._inner.by_id(user_id)

    async def authors(self, ids: Sequence[int]) -> dict[int, Author]:
        self._tags.update(f"u:{i}" for i in ids)
        return await self._inner.authors(ids)

    async def page(
        self, where: UserFilter, after: tuple[Any, ...] | None, limit: int
    ) -> list[User]:
        self._tags.add("lu")
        found = await self._inner.page(where, after, limit)
        self._tags.update(f"u:{u.id}" for u in found)
        return found

    async def count(self, where: UserFilter) -> int:
        self._tags.add("lu")
        return await self._inner.count(where)


class _Statistics:
    def __init__(self, inner: StatisticsReads, tags: set[str]) -> None:
        self._inner, self._tags = inner, tags

    async def summary(self) -> Statistics:
        self._tags.add("s")
        return await self._inner.summary()


class TaggedReads:
    """`inner`, noting in `tags` what each read touched (before it runs: a read that
    fails leaves a response with errors, which is never cached anyway)."""

    def __init__(self, inner: Reads, tags: set[str]) -> None:
        self._inner, self._tags = inner, tags

    # Each domain's port (and the one it wraps) is made when the request first reads it.
    @cached_property
    def restaurants(self) -> RestaurantReads:
        return _Restaurants(self._inner.restaurants, self._tags)

    @cached_property
    def reviews(self) -> ReviewReads:
        return _Reviews(self._inner.reviews, self._tags)

    @cached_property
    def users(self) -> UserReads:
        return _Users(self._inner.users, self._tags)

    @cached_property
    def statistics(self) -> StatisticsReads:
        return _Statistics(self._inner.statistics, self._tags)
