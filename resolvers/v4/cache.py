"""The v4 read-through cache: repositories wrapped by a cache, and the invalidator that
every write (v3's and v4's) reports to.

Key layout (under the store's namespace):
    r:<id>  v:<id>  u:<id>  a:<id>     a restaurant, review, user, author
    vh:<restaurant>:<n>                 a restaurant's newest n APPROVED reviews and count
    s                                   the statistics
    rl|rc:<digest>                      restaurant pages and counts, each with the list
    vl|vc:<digest>  ul|uc:<digest>      generation it was loaded at; the same for reviews
                                        and users
    gen:restaurants|reviews|users       the list generations

A write deletes the entries it affects (leaving a short tombstone, so that a reader who
loaded before the write cannot put the old value back) and bumps the generation of every
kind of list it may change. Lists are never deleted one by one: a page is served only
while its kind is still at the generation the page was loaded at, which one round trip
checks together with the page itself. A reader that loaded before a write stores its
page under the old generation, where no one will read it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from jewgo.resolvers.domain import (
    Author,
    Restaurant,
    RestaurantFilter,
    RestaurantOrder,
    Review,
    Role,
    Statistics,
    User,
    UserFilter,
)
from jewgo.resolvers.ports import Change
from jewgo.resolvers.v4.repositories import (
    Repositories,
    RestaurantRepository,
    ReviewQuery,
    ReviewRepository,
    StatisticsRepository,
    UserRepository,
)

K = TypeVar("K")
V = TypeVar("V")

RESTAURANT_LISTS, REVIEW_LISTS, USER_LISTS = "restaurants", "reviews", "users"


class CacheStore(Protocol):
    """Where cached values live (Redis, or memory while Redis is away)."""

    async def get_many(self, keys: Sequence[str]) -> list[Any | None]: ...

    async def add_many(self, items: Mapping[str, Any], ttl: float) -> None:
        """Store values whose keys are absent (never over a tombstone)."""
        ...

    async def get_listed(self, generation: str, key: str) -> tuple[object, Any | None]:
        """A stamp of the current generation of a kind of list, and `key`'s value if it
        was stored at that generation."""
        ...

    async def put_listed(self, key: str, stamp: object, value: Any, ttl: float) -> None:
        """Store `value` under `key` as loaded at the stamped generation (replacing any
        other)."""
        ...

    async def invalidate(self, keys: Sequence[str], generations: Sequence[str]) -> None:
        """Delete `keys` (tombstoned for a moment) and bump `generations`."""
        ...


@dataclass(frozen=True, slots=True)
class Ttl:
    """Seconds each domain's entries live (SPEC §7: 30, 15, 60 and 5 minutes)."""

    restaurants: float = 1800
    reviews: float = 900
    users: float = 3600
    statistics: float = 300


def digest(*parts: object) -> str:
    """A short stable name for a query (frozen dataclasses have deterministic reprs)."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest()


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


class CachedRestaurants:
    def __init__(self, inner: RestaurantRepository, cache: CacheStore, ttl: float) -> None:
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
        return await self._inner.exists(restaurant_id)

    async def add(self, values: Mapping[str, Any]) -> int:
        return await self._inner.add(values)

    async def update(self, restaurant_id: int, values: Mapping[str, Any]) -> bool:
        return await self._inner.update(restaurant_id, values)

    async def remove(self, restaurant_id: int) -> bool:
        return await self._inner.remove(restaurant_id)


class CachedReviews:
    def __init__(self, inner: ReviewRepository, cache: CacheStore, ttl: float) -> None:
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
    ) -> dict[int, tuple[list[Review], int]]:
        async def load(ids: list[int]) -> Mapping[int, tuple[list[Review], int]]:
            return await self._inner.approved_heads(ids, limit)

        return await _through(
            self._cache, restaurant_ids, lambda rid: f"vh:{rid}:{limit}", load, self._ttl
        )

    async def by_author_and_restaurant(self, author_id: int, restaurant_id: int) -> int | None:
        return await self._inner.by_author_and_restaurant(author_id, restaurant_id)

    async def of_author(self, author_id: int) -> list[tuple[int, int]]:
        return await self._inner.of_author(author_id)

    async def of_restaurant(self, restaurant_id: int) -> list[tuple[int, int]]:
        return await self._inner.of_restaurant(restaurant_id)

    async def add(self, values: Mapping[str, Any]) -> int:
        return await self._inner.add(values)

    async def update(self, review_id: int, values: Mapping[str, Any]) -> bool:
        return await self._inner.update(review_id, values)

    async def remove(self, review_id: int) -> bool:
        return await self._inner.remove(review_id)


class CachedUsers:
    def __init__(self, inner: UserRepository, cache: CacheStore, ttl: float) -> None:
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

    async def set_role(self, user_id: int, role: Role, values: Mapping[str, Any]) -> bool:
        return await self._inner.set_role(user_id, role, values)

    async def remove(self, user_id: int) -> bool:
        return await self._inner.remove(user_id)


class CachedStatistics:
    def __init__(self, inner: StatisticsRepository, cache: CacheStore, ttl: float) -> None:
        self._inner, self._cache, self._ttl = inner, cache, ttl

    async def summary(self) -> Statistics:
        return await _one(self._cache, "s", self._inner.summary, self._ttl)


class CachedRepositories:
    """Every repository of `inner`, read through `cache`."""

    def __init__(self, inner: Repositories, cache: CacheStore, ttl: Ttl) -> None:
        self.restaurants = CachedRestaurants(inner.restaurants, cache, ttl.restaurants)
        self.reviews = CachedReviews(inner.reviews, cache, ttl.reviews)
        self.users = CachedUsers(inner.users, cache, ttl.users)
        self.statistics = CachedStatistics(inner.statistics, cache, ttl.statistics)


class CacheInvalidator:
    """The change sink of the cache: what a committed write affects, and nothing else."""

    def __init__(self, cache: CacheStore, max_page_size: int) -> None:
        self._cache = cache
        # A restaurant's review heads are cached per page size (first + 1).
        self._head_sizes = range(1, max_page_size + 2)

    def keys(self, change: Change) -> list[str]:
        keys: list[str] = ["s"]
        keys += [f"r:{i}" for i in change.restaurants | change.rated]
        keys += [f"vh:{i}:{n}" for i in change.rated for n in self._head_sizes]
        keys += [f"v:{i}" for i in change.reviews]
        keys += [f"u:{i}" for i in change.users | change.authors]
        keys += [f"a:{i}" for i in change.users]
        return keys

    @staticmethod
    def generations(change: Change) -> list[str]:
        names: list[str] = []
        if change.restaurants or change.rated:
            names.append(RESTAURANT_LISTS)  # lists carry ratings and counts
        if change.reviews:
            names.append(REVIEW_LISTS)
        if change.users or change.authors:
            names.append(USER_LISTS)  # lists carry review counts
        return names

    async def changed(self, change: Change) -> None:
        await self._cache.invalidate(self.keys(change), self.generations(change))
