"""The v4 read ports, read through the cache (`cache.py` has the key layout).

Only reads are wrapped: writes go through a unit of work to the database, and their
changes reach the cache through `cache.CacheInvalidator`, never through these classes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import cached_property
from typing import Any, TypeVar

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
from jewgo.resolvers.v4.cache.entries import (
    RESTAURANT_LISTS,
    REVIEW_LISTS,
    USER_LISTS,
    CacheStore,
    Ttl,
    digest,
)
from jewgo.resolvers.v4.reads import (
    Reads,
    RestaurantReads,
    ReviewHead,
    ReviewQuery,
    ReviewReads,
    StatisticsReads,
    UserReads,
)

K = TypeVar("K")
V = TypeVar("V")


async def _through(
    cache: CacheStore,
    ids: Sequence[K],
    key: Callable[[K], str],
    load: Callable[[list[K]], Awaitable[Mapping[K, V]]],
    ttl: float,
) -> dict[K, V]:
    """Per-id read-through: one round trip for the hits, one load for the misses."""
    keys = [key(i) for i in ids]
    found: dict[K, V] = {}
    missing: list[K] = []
    for i, value in zip(ids, await cache.get_many(keys), strict=True):
        if value is None:
            missing.append(i)
        else:
            found[i] = value
    if missing:
        loaded = await load(missing)
        found.update(loaded)
        await cache.add_many({key(i): v for i, v in loaded.items()}, ttl)
    return found


async def _one(cache: CacheStore, key: str, load: Callable[[], Awaitable[V]], ttl: float) -> V:
    (value,) = await cache.get_many([key])
    if value is None:
        value = await load()
        await cache.add_many({key: value}, ttl)
    return value


async def _listed(
    cache: CacheStore,
    generation: str,
    prefix: str,
    parts: tuple[object, ...],
    load: Callable[[], Awaitable[V]],
    ttl: float,
) -> V:
    key = f"{prefix}:{digest(*parts)}"
    current, value = await cache.get_listed(generation, key)
    if value is None:
        value = await load()
        await cache.put_listed(key, current, value, ttl)
    return value


class CachedRestaurantReads:
    def __init__(self, inner: RestaurantReads, cache: CacheStore, ttl: float) -> None:
        self._inner, self._cache, self._ttl = inner, cache, ttl

    async def by_ids(self, ids: Sequence[int]) -> dict[int, Restaurant]:
        return await _through(self._cache, ids, "r:{}".format, self._inner.by_ids, self._ttl)

    async def page(
        self,
        where: RestaurantFilter,
        order: RestaurantOrder,
        after: tuple[Any, ...] | None,
        limit: int,
    ) -> list[Restaurant]:
        return await _listed(
            self._cache,
            RESTAURANT_LISTS,
            "rl",
            (where, order, after, limit),
            lambda: self._inner.page(where, order, after, limit),
            self._ttl,
        )

    async def count(self, where: RestaurantFilter) -> int:
        return await _listed(
            self._cache,
            RESTAURANT_LISTS,
            "rc",
            (where,),
            lambda: self._inner.count(where),
            self._ttl,
        )

    async def exists(self, restaurant_id: int) -> bool:
        # Not cached: a new review's restaurant is checked against the database.
        return await self._inner.exists(restaurant_id)


class CachedReviewReads:
    def __init__(self, inner: ReviewReads, cache: CacheStore, ttl: float) -> None:
        self._inner, self._cache, self._ttl = inner, cache, ttl

    async def by_id(self, review_id: int) -> Review | None:
        async def load(ids: list[int]) -> dict[int, Review]:
            review = await self._inner.by_id(ids[0])
            return {ids[0]: review} if review is not None else {}

        found = await _through(self._cache, [review_id], "v:{}".format, load, self._ttl)
        return found.get(review_id)

    async def page(
        self, query: ReviewQuery, after: tuple[Any, ...] | None, limit: int
    ) -> list[Review]:
        return await _listed(
            self._cache,
            REVIEW_LISTS,
            "vl",
            (query, after, limit),
            lambda: self._inner.page(query, after, limit),
            self._ttl,
        )

    async def count(self, query: ReviewQuery) -> int:
        return await _listed(
            self._cache, REVIEW_LISTS, "vc", (query,), lambda: self._inner.count(query), self._ttl
        )

    async def approved_heads(
        self, restaurant_ids: Sequence[int], limit: int
    ) -> dict[int, ReviewHead]:
        async def load(ids: list[int]) -> Mapping[int, ReviewHead]:
            return await self._inner.approved_heads(ids, limit)

        return await _through(
            self._cache, restaurant_ids, lambda rid: f"vh:{rid}:{limit}", load, self._ttl
        )


class CachedUserReads:
    def __init__(self, inner: UserReads, cache: CacheStore, ttl: float) -> None:
        self._inner, self._cache, self._ttl = inner, cache, ttl

    async def by_id(self, user_id: int) -> User | None:
        async def load(ids: list[int]) -> dict[int, User]:
            user = await self._inner.by_id(ids[0])
            return {ids[0]: user} if user is not None else {}

        found = await _through(self._cache, [user_id], "u:{}".format, load, self._ttl)
        return found.get(user_id)

    async def authors(self, ids: Sequence[int]) -> dict[int, Author]:
        return await _through(self._cache, ids, "a:{}".format, self._inner.authors, self._ttl)

    async def page(
        self, where: UserFilter, after: tuple[Any, ...] | None, limit: int
    ) -> list[User]:
        return await _listed(
            self._cache,
            USER_LISTS,
            "ul",
            (where, after, limit),
            lambda: self._inner.page(where, after, limit),
            self._ttl,
        )

    async def count(self, where: UserFilter) -> int:
        return await _listed(
            self._cache, USER_LISTS, "uc", (where,), lambda: self._inner.count(where), self._ttl
        )


class CachedStatisticsReads:
    def __init__(self, inner: StatisticsReads, cache: CacheStore, ttl: float) -> None:
        self._inner, self._cache, self._ttl = inner, cache, ttl

    async def summary(self) -> Statistics:
        return await _one(self._cache, "s", self._inner.summary, self._ttl)


class CachedReads:
    """Every read port of `inner`, read through `cache`."""

    def __init__(self, inner: Reads, cache: CacheStore, ttl: Ttl) -> None:
        self._inner, self._cache, self._ttl = inner, cache, ttl

    # Each domain's port (and the one it wraps) is made when the request first reads it.
    @cached_property
    def restaurants(self) -> CachedRestaurantReads:
        inner, ttl = self._inner.restaurants, self._ttl.restaurants
        return CachedRestaurantReads(inner, self._cache, ttl)

    @cached_property
    def reviews(self) -> CachedReviewReads:
        return CachedReviewReads(self._inner.reviews, self._cache, self._ttl.reviews)

    @cached_property
    def users(self) -> CachedUserReads:
        return CachedUserReads(self._inner.users, self._cache, self._ttl.users)

    @cached_property
    def statistics(self) -> CachedStatisticsReads:
        return CachedStatisticsReads(self._inner.statistics, self._cache, self._ttl.statistics)
