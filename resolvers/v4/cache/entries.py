"""The v4 cache: where entries live, how long, and the invalidator that every write
(v3's and v4's) reports to. `cache/reads.py` reads through it.

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from jewgo.resolvers.ports import Change

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
