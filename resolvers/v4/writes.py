"""Write ports of v4: what a unit of work changes, and the lookups a write makes inside
its own transaction (what a deletion cascades to, whether a review exists already).

`sql_*.py` implement them on SQLAlchemy, `memory_*.py` in memory. Writes enforce no
permission; they refuse what the database's constraints refuse, with the exceptions of
`resolvers.v4.exceptions` (never a driver's error), so the services never see the
driver. `update`, `set_role` and `remove` answer whether the row was there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from jewgo.resolvers.domain import Role


class RestaurantWrites(Protocol):
    async def add(self, values: Mapping[str, Any]) -> int: ...

    async def update(self, restaurant_id: int, values: Mapping[str, Any]) -> bool: ...

    async def remove(self, restaurant_id: int) -> bool:
        """Deletes the restaurant and, with it, its reviews."""
        ...


class ReviewWrites(Protocol):
    async def by_author_and_restaurant(self, author_id: int, restaurant_id: int) -> int | None:
        """The id of the review `author_id` wrote of `restaurant_id`, if any."""
        ...

    async def of_author(self, author_id: int) -> list[tuple[int, int]]:
        """(review id, restaurant id) of every review the user wrote."""
        ...

    async def of_restaurant(self, restaurant_id: int) -> list[tuple[int, int]]:
        """(review id, author id) of every review of the restaurant."""
        ...

    async def add(self, values: Mapping[str, Any]) -> int:
        """Raises `DuplicateReview` when the author has reviewed the restaurant already,
        `RestaurantGone` when the restaurant (or the author) no longer exists."""
        ...

    async def update(self, review_id: int, values: Mapping[str, Any]) -> bool: ...

    async def remove(self, review_id: int) -> bool: ...


class UserWrites(Protocol):
    async def set_role(self, user_id: int, role: Role, values: Mapping[str, Any]) -> bool: ...

    async def remove(self, user_id: int) -> bool:
        """Deletes the user with their reviews; restaurants they added keep no creator."""
        ...
