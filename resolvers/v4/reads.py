"""Read ports of v4: what the services, the loaders and the cache fetch.

`sql/` implements them on SQLAlchemy, `tests/fakes/memory_*.py` in memory, and
`cache/reads.py` puts the cache in front of either. Reads store nothing and make no
business decision; they run outside any unit of work, on the request's connection. Lists
are keyset pages: `after` is the decoded sort key of the row to start after, and a read
returns up to `limit` rows in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from jewgo.resolvers.domain import (
    Author,
    Restaurant,
    RestaurantFilter,
    RestaurantOrder,
    Review,
    ReviewStatus,
    Statistics,
    User,
    UserFilter,
)

# A restaurant's newest APPROVED reviews and its APPROVED count.
ReviewHead = tuple[list[Review], int]


@dataclass(frozen=True, slots=True)
class ReviewQuery:
    """Which reviews a list shows, after the visibility rules have been applied."""

    status: ReviewStatus
    restaurant_id: int | None = None
    author_id: int | None = None
    min_rating: int | None = None


class RestaurantReads(Protocol):
    async def by_ids(self, ids: Sequence[int]) -> dict[int, Restaurant]: ...

    async def page(
        self,
        where: RestaurantFilter,
        order: RestaurantOrder,
        after: tuple[Any, ...] | None,
        limit: int,
    ) -> list[Restaurant]: ...

    async def count(self, where: RestaurantFilter) -> int: ...

    async def exists(self, restaurant_id: int) -> bool: ...


class ReviewReads(Protocol):
    async def by_id(self, review_id: int) -> Review | None: ...

    async def page(
        self, query: ReviewQuery, after: tuple[Any, ...] | None, limit: int
    ) -> list[Review]: ...

    async def count(self, query: ReviewQuery) -> int: ...

    async def approved_heads(
        self, restaurant_ids: Sequence[int], limit: int
    ) -> dict[int, ReviewHead]:
        """The newest `limit` APPROVED reviews and the APPROVED count of each restaurant."""
        ...


class UserReads(Protocol):
    async def by_id(self, user_id: int) -> User | None: ...

    async def authors(self, ids: Sequence[int]) -> dict[int, Author]: ...

    async def page(
        self, where: UserFilter, after: tuple[Any, ...] | None, limit: int
    ) -> list[User]: ...

    async def count(self, where: UserFilter) -> int: ...


class StatisticsReads(Protocol):
    async def summary(self) -> Statistics: ...


class Reads(Protocol):
    """Every read port, over one source (the database, the fake's store, the cache)."""

    @property
    def restaurants(self) -> RestaurantReads: ...

    @property
    def reviews(self) -> ReviewReads: ...

    @property
    def users(self) -> UserReads: ...

    @property
    def statistics(self) -> StatisticsReads: ...
