"""Repository ports of v4. `sql.py` implements them on SQLAlchemy, `memory.py` in memory.

Repositories store and fetch; they enforce no permission and make no business decision.
Lists are keyset pages: `after` is the decoded sort key of the row to start after, and a
repository returns up to `limit` rows in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from jewgo.resolvers.domain import (
    Author,
    Restaurant,
    RestaurantFilter,
    RestaurantOrder,
    Review,
    ReviewStatus,
    Role,
    Statistics,
    User,
    UserFilter,
)


@dataclass(frozen=True, slots=True)
class ReviewQuery:
    """Which reviews a list shows, after the visibility rules have been applied."""

    status: ReviewStatus
    restaurant_id: int | None = None
    author_id: int | None = None
    min_rating: int | None = None


class RestaurantRepository(Protocol):
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

    async def add(self, values: Mapping[str, Any]) -> int: ...

    async def update(self, restaurant_id: int, values: Mapping[str, Any]) -> bool: ...

    async def remove(self, restaurant_id: int) -> bool: ...


class ReviewRepository(Protocol):
    async def by_id(self, review_id: int) -> Review | None: ...

    async def page(
        self, query: ReviewQuery, after: tuple[Any, ...] | None, limit: int
    ) -> list[Review]: ...

    async def count(self, query: ReviewQuery) -> int: ...

    async def approved_heads(
        self, restaurant_ids: Sequence[int], limit: int
    ) -> dict[int, tuple[list[Review], int]]:
        """The newest `limit` APPROVED reviews and the APPROVED count of each restaurant."""
        ...

    async def by_author_and_restaurant(self, author_id: int, restaurant_id: int) -> int | None: ...

    async def of_author(self, author_id: int) -> list[tuple[int, int]]:
        """(review id, restaurant id) of every review the user wrote."""
        ...

    async def of_restaurant(self, restaurant_id: int) -> list[tuple[int, int]]:
        """(review id, author id) of every review of the restaurant."""
        ...

    async def add(self, values: Mapping[str, Any]) -> int: ...

    async def update(self, review_id: int, values: Mapping[str, Any]) -> bool: ...

    async def remove(self, review_id: int) -> bool: ...


class UserRepository(Protocol):
    async def by_id(self, user_id: int) -> User | None: ...

    async def authors(self, ids: Sequence[int]) -> dict[int, Author]: ...

    async def page(
        self, where: UserFilter, after: tuple[Any, ...] | None, limit: int
    ) -> list[User]: ...

    async def count(self, where: UserFilter) -> int: ...

    async def set_role(self, user_id: int, role: Role, values: Mapping[str, Any]) -> bool: ...

    async def remove(self, user_id: int) -> bool: ...


class StatisticsRepository(Protocol):
    async def summary(self) -> Statistics: ...


class Repositories(Protocol):
    @property
    def restaurants(self) -> RestaurantRepository: ...

    @property
    def reviews(self) -> ReviewRepository: ...

    @property
    def users(self) -> UserRepository: ...

    @property
    def statistics(self) -> StatisticsRepository: ...
