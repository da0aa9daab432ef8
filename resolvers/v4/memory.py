"""In-memory repositories and unit of work: the fakes beside the SQL implementation.

They keep the same semantics as `sql.py` (the repository contract tests run both):
names order by code point, as PostgreSQL's C collation and SQLite's BINARY do, and
case folding is ASCII-only, as `lower()` is in both databases.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from jewgo.db.geo import distance_km
from jewgo.resolvers.domain import (
    Author,
    KosherCategory,
    Restaurant,
    RestaurantFilter,
    RestaurantOrder,
    RestaurantStatus,
    Review,
    ReviewStatus,
    Role,
    Statistics,
    User,
    UserFilter,
)
from jewgo.resolvers.v4.repositories import ReviewQuery

Row = dict[str, Any]


class DuplicateReview(Exception):
    """What the unique index on (restaurant, author) raises in the SQL implementation."""


def _fold(text: str | None) -> str | None:
    return (
        None if text is None else "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)
    )


def _contains(haystack: str | None, needle: str) -> bool:
    folded = _fold(haystack)
    return folded is not None and _fold(needle) in folded  # type: ignore[operator]


@dataclass
class Store:
    users: dict[int, Row] = field(default_factory=dict)
    restaurants: dict[int, Row] = field(default_factory=dict)
    reviews: dict[int, Row] = field(default_factory=dict)

    def next_id(self, table: dict[int, Row]) -> int:
        return max(table, default=0) + 1

    @classmethod
    def of(cls, users: Iterable[Row], restaurants: Iterable[Row], reviews: Iterable[Row]) -> Store:
        return cls(
            users={u["id"]: dict(u) for u in users},
            restaurants={r["id"]: dict(r) for r in restaurants},
            reviews={v["id"]: dict(v) for v in reviews},
        )


class MemoryRestaurants:
    def __init__(self, store: Store) -> None:
        self._store = store

    def _with_stats(self, row: Row, distance: float | None = None) -> Restaurant:
        approved = [
            v["rating"]
            for v in self._store.reviews.values()
            if v["restaurant_id"] == row["id"] and v["status"] == ReviewStatus.APPROVED.value
        ]
        stats = {"review_count": len(approved), "rating_sum": sum(approved) if approved else None}
        return Restaurant.from_row(row | stats | {"distance_km": distance})

    def _matches(self, r: Restaurant, where: RestaurantFilter) -> bool:
        checks = [
            r.status is (where.status or RestaurantStatus.ACTIVE),
            where.kosher_category is None or r.kosher_category is where.kosher_category,
            where.certifying_agency is None
            or _fold(r.certifying_agency) == _fold(where.certifying_agency),
            where.city is None or _fold(r.city) == _fold(where.city),
            where.state is None or _fold(r.state) == _fold(where.state),
            where.is_cholov_yisroel is None or r.is_cholov_yisroel == where.is_cholov_yisroel,
            where.is_pas_yisroel is None or r.is_pas_yisroel == where.is_pas_yisroel,
            where.min_rating is None
            or (r.average_rating is not None and r.average_rating >= where.min_rating),
            where.near is None
            or (r.distance_km is not None and r.distance_km <= where.near.radius_km),
        ]
        search = (where.search or "").strip()
        if search:
            checks.append(any(_contains(t, search) for t in (r.name, r.city, r.certifying_agency)))
        return all(checks)

    def _all(self, where: RestaurantFilter) -> list[Restaurant]:
        near = where.near
        found = []
        for row in self._store.restaurants.values():
            distance = (
                distance_km(near.latitude, near.longitude, row["latitude"], row["longitude"])
                if near is not None
                else None
            )
            restaurant = self._with_stats(row, distance)
            if self._matches(restaurant, where):
                found.append(restaurant)
        return found

    async def by_ids(self, ids: Sequence[int]) -> dict[int, Restaurant]:
        rows = self._store.restaurants
        return {i: self._with_stats(rows[i]) for i in ids if i in rows}

    async def page(
        self,
        where: RestaurantFilter,
        order: RestaurantOrder,
        after: tuple[Any, ...] | None,
        limit: int,
    ) -> list[Restaurant]:
        key: Callable[[Restaurant], tuple[Any, ...]]
        if order is RestaurantOrder.NAME:
            key = lambda r: (r.name, r.id)  # noqa: E731
        elif order is RestaurantOrder.RATING:
            key = lambda r: (-(r.average_rating or -1.0), r.id)  # noqa: E731
        elif order is RestaurantOrder.NEWEST:
            key = lambda r: (-r.created_at.timestamp(), -r.id)  # noqa: E731
        else:
            key = lambda r: (r.distance_km, r.id)  # noqa: E731
        ordered = sorted(self._all(where), key=key)
        if after is not None:
            sentinel = _after_key(order, after)
            ordered = [r for r in ordered if key(r) > sentinel]
        return ordered[:limit]

    async def count(self, where: RestaurantFilter) -> int:
        return len(self._all(where))

    async def exists(self, restaurant_id: int) -> bool:
        return restaurant_id in self._store.restaurants

    async def add(self, values: Mapping[str, Any]) -> int:
        new_id = self._store.next_id(self._store.restaurants)
        self._store.restaurants[new_id] = {"id": new_id, **values}
        return new_id

    async def update(self, restaurant_id: int, values: Mapping[str, Any]) -> bool:
        row = self._store.restaurants.get(restaurant_id)
        if row is None:
            return False
        row.update(values)
        return True

    async def remove(self, restaurant_id: int) -> bool:
        if self._store.restaurants.pop(restaurant_id, None) is None:
            return False
        for review_id in [
            i for i, v in self._store.reviews.items() if v["restaurant_id"] == restaurant_id
        ]:
            del self._store.reviews[review_id]
        return True


def _after_key(order: RestaurantOrder, after: tuple[Any, ...]) -> tuple[Any, ...]:
    value, last_id = after
    if order is RestaurantOrder.RATING:
        return (-value, last_id)
    if order is RestaurantOrder.NEWEST:
        return (-value.timestamp(), -last_id)
    return (value, last_id)


class MemoryReviews:
    def __init__(self, store: Store) -> None:
        self._store = store

    def _matching(self, query: ReviewQuery) -> list[Review]:
        found = [
            Review.from_row(v)
            for v in self._store.reviews.values()
            if v["status"] == query.status.value
            and query.restaurant_id in (None, v["restaurant_id"])
            and query.author_id in (None, v["author_id"])
            and (query.min_rating is None or v["rating"] >= query.min_rating)
        ]
        return sorted(found, key=lambda v: (v.created_at, v.id), reverse=True)

    async def by_id(self, review_id: int) -> Review | None:
        row = self._store.reviews.get(review_id)
        return Review.from_row(row) if row is not None else None

    async def page(
        self, query: ReviewQuery, after: tuple[Any, ...] | None, limit: int
    ) -> list[Review]:
        found = self._matching(query)
        if after is not None:
            found = [v for v in found if (v.created_at, v.id) < after]
        return found[:limit]

    async def count(self, query: ReviewQuery) -> int:
        return len(self._matching(query))

    async def approved_heads(
        self, restaurant_ids: Sequence[int], limit: int
    ) -> dict[int, tuple[list[Review], int]]:
        heads = {}
        for restaurant_id in restaurant_ids:
            found = self._matching(ReviewQuery(ReviewStatus.APPROVED, restaurant_id=restaurant_id))
            heads[restaurant_id] = (found[:limit], len(found))
        return heads

    async def by_author_and_restaurant(self, author_id: int, restaurant_id: int) -> int | None:
        return next(
            (
                i
                for i, v in self._store.reviews.items()
                if v["author_id"] == author_id and v["restaurant_id"] == restaurant_id
            ),
            None,
        )

    async def of_author(self, author_id: int) -> list[tuple[int, int]]:
        return [
            (i, v["restaurant_id"])
            for i, v in self._store.reviews.items()
            if v["author_id"] == author_id
        ]

    async def of_restaurant(self, restaurant_id: int) -> list[tuple[int, int]]:
        return [
            (i, v["author_id"])
            for i, v in self._store.reviews.items()
            if v["restaurant_id"] == restaurant_id
        ]

    async def add(self, values: Mapping[str, Any]) -> int:
        if await self.by_author_and_restaurant(values["author_id"], values["restaurant_id"]):
            raise DuplicateReview("unique constraint failed: reviews.restaurant_id, author_id")
        new_id = self._store.next_id(self._store.reviews)
        self._store.reviews[new_id] = {"id": new_id, **values}
        return new_id

    async def update(self, review_id: int, values: Mapping[str, Any]) -> bool:
        row = self._store.reviews.get(review_id)
        if row is None:
            return False
        row.update(values)
        return True

    async def remove(self, review_id: int) -> bool:
        return self._store.reviews.pop(review_id, None) is not None


class MemoryUsers:
    def __init__(self, store: Store) -> None:
        self._store = store

    def _user(self, row: Row) -> User:
        written = sum(1 for v in self._store.reviews.values() if v["author_id"] == row["id"])
        return User.from_row(row | {"review_count": written})

    def _matching(self, where: UserFilter) -> list[User]:
        search = (where.search or "").strip()
        return sorted(
            (
                self._user(row)
                for row in self._store.users.values()
                if (where.role is None or row["role"] == where.role.value)
                and (
                    not search or _contains(row["name"], search) or _contains(row["email"], search)
                )
            ),
            key=lambda u: (u.name, u.id),
        )

    async def by_id(self, user_id: int) -> User | None:
        row = self._store.users.get(user_id)
        return self._user(row) if row is not None else None

    async def authors(self, ids: Sequence[int]) -> dict[int, Author]:
        users = self._store.users
        return {i: Author(id=i, name=users[i]["name"]) for i in ids if i in users}

    async def page(
        self, where: UserFilter, after: tuple[Any, ...] | None, limit: int
    ) -> list[User]:
        found = self._matching(where)
        if after is not None:
            found = [u for u in found if (u.name, u.id) > after]
        return found[:limit]

    async def count(self, where: UserFilter) -> int:
        return len(self._matching(where))

    async def set_role(self, user_id: int, role: Role, values: Mapping[str, Any]) -> bool:
        row = self._store.users.get(user_id)
        if row is None:
            return False
        row.update(values, role=role.value)
        return True

    async def remove(self, user_id: int) -> bool:
        if self._store.users.pop(user_id, None) is None:
            return False
        for review_id in [i for i, v in self._store.reviews.items() if v["author_id"] == user_id]:
            del self._store.reviews[review_id]
        for row in self._store.restaurants.values():
            if row.get("created_by") == user_id:
                row["created_by"] = None
        return True


class MemoryStatistics:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def summary(self) -> Statistics:
        restaurants = list(self._store.restaurants.values())
        active = [r for r in restaurants if r["status"] == RestaurantStatus.ACTIVE.value]
        approved = [
            v["rating"]
            for v in self._store.reviews.values()
            if v["status"] == ReviewStatus.APPROVED.value
        ]

        def grouped(column: str) -> tuple[tuple[Any, int], ...]:
            counts = Counter(r[column] for r in active if r[column] is not None)
            return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

        return Statistics(
            total_restaurants=len(restaurants),
            active_restaurants=len(active),
            total_reviews=len(self._store.reviews),
            approved_reviews=len(approved),
            total_users=len(self._store.users),
            average_rating=sum(approved) / len(approved) if approved else None,
            by_category=tuple((KosherCategory(k), n) for k, n in grouped("kosher_category")),
            by_state=grouped("state"),
            by_agency=grouped("certifying_agency"),
        )


class MemoryRepositories:
    def __init__(self, store: Store) -> None:
        self.restaurants = MemoryRestaurants(store)
        self.reviews = MemoryReviews(store)
        self.users = MemoryUsers(store)
        self.statistics = MemoryStatistics(store)


class MemoryUnitOfWork:
    """Works on a copy of the store; `commit` publishes it, anything else discards it."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.committed = False

    async def __aenter__(self) -> Self:
        self._draft = copy.deepcopy(self._store)
        repositories = MemoryRepositories(self._draft)
        self.restaurants = repositories.restaurants
        self.reviews = repositories.reviews
        self.users = repositories.users
        self.statistics = repositories.statistics
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        del self._draft

    async def commit(self) -> None:
        self._store.users = self._draft.users
        self._store.restaurants = self._draft.restaurants
        self._store.reviews = self._draft.reviews
        self.committed = True
