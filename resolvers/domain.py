"""Frozen domain dataclasses returned by both implementations, so results compare equal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from jewgo.db.timestamps import utc

T = TypeVar("T")


class Domain(StrEnum):
    RESTAURANTS = "restaurants"
    REVIEWS = "reviews"
    USERS = "users"
    STATISTICS = "statistics"


class Version(StrEnum):
    V3 = "v3"
    V4 = "v4"


class Role(StrEnum):
    USER = "USER"
    MODERATOR = "MODERATOR"
    ADMIN = "ADMIN"


class KosherCategory(StrEnum):
    MEAT = "MEAT"
    DAIRY = "DAIRY"
    PAREVE = "PAREVE"


class RestaurantStatus(StrEnum):
    ACTIVE = "ACTIVE"
    PENDING = "PENDING"
    CLOSED = "CLOSED"


class ReviewStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class RestaurantOrder(StrEnum):
    NAME = "NAME"
    RATING = "RATING"
    NEWEST = "NEWEST"
    DISTANCE = "DISTANCE"


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Viewer:
    """The caller, as the database knows it now (the role is never taken from a token)."""

    id: int
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.ADMIN, Role.MODERATOR)


@dataclass(frozen=True, slots=True)
class Restaurant:
    id: int
    name: str
    address: str | None
    city: str | None
    state: str | None
    zip_code: str | None
    phone: str | None
    website: str | None
    kosher_category: KosherCategory
    certifying_agency: str | None
    is_cholov_yisroel: bool
    is_pas_yisroel: bool
    price_range: str | None
    latitude: float | None
    longitude: float | None
    status: RestaurantStatus
    average_rating: float | None
    review_count: int
    created_at: datetime
    updated_at: datetime
    distance_km: float | None = None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> Restaurant:
        approved = row["review_count"] or 0
        return cls(
            id=row["id"],
            name=row["name"],
            address=row["address"],
            city=row["city"],
            state=row["state"],
            zip_code=row["zip_code"],
            phone=row["phone"],
            website=row["website"],
            kosher_category=KosherCategory(row["kosher_category"]),
            certifying_agency=row["certifying_agency"],
            is_cholov_yisroel=bool(row["is_cholov_yisroel"]),
            is_pas_yisroel=bool(row["is_pas_yisroel"]),
            price_range=row["price_range"],
            latitude=row["latitude"],
            longitude=row["longitude"],
            status=RestaurantStatus(row["status"]),
            # Same float division as the RATING order in SQL, so cursors round-trip.
            average_rating=row["rating_sum"] / approved if approved else None,
            review_count=approved,
            created_at=utc(row["created_at"]),
            updated_at=utc(row["updated_at"]),
            distance_km=row.get("distance_km"),
        )


@dataclass(frozen=True, slots=True)
class Review:
    id: int
    restaurant_id: int
    author_id: int
    rating: int
    title: str | None
    content: str
    status: ReviewStatus
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> Review:
        return cls(
            id=row["id"],
            restaurant_id=row["restaurant_id"],
            author_id=row["author_id"],
            rating=row["rating"],
            title=row["title"],
            content=row["content"],
            status=ReviewStatus(row["status"]),
            created_at=utc(row["created_at"]),
            updated_at=utc(row["updated_at"]),
        )


@dataclass(frozen=True, slots=True)
class Author:
    """What anyone may see of a user."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    email: str
    role: Role
    review_count: int
    created_at: datetime

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> User:
        return cls(
            id=row["id"],
            name=row["name"],
            email=row["email"],
            role=Role(row["role"]),
            review_count=row["review_count"] or 0,
            created_at=utc(row["created_at"]),
        )


@dataclass(frozen=True, slots=True)
class Statistics:
    total_restaurants: int
    active_restaurants: int
    total_reviews: int
    approved_reviews: int
    total_users: int
    average_rating: float | None
    # (key, count) pairs of ACTIVE restaurants, largest count first, then by key.
    by_category: tuple[tuple[KosherCategory, int], ...]
    by_state: tuple[tuple[str, int], ...]
    by_agency: tuple[tuple[str, int], ...]


def _no_cursor(item: object) -> str:
    raise LookupError("this page has no items")


async def _no_total() -> int:
    return 0


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a keyset-paginated list. `total()` counts and `cursor(item)` encodes
    lazily, only for what the query asks."""

    items: tuple[T, ...]
    has_next: bool
    cursor: Callable[[T], str] = field(default=_no_cursor, compare=False)
    total: Callable[[], Awaitable[int]] = field(default=_no_total, compare=False)

    @property
    def end_cursor(self) -> str | None:
        return self.cursor(self.items[-1]) if self.items else None


@dataclass(frozen=True, slots=True)
class PageArgs:
    first: int
    after: str | None = None


@dataclass(frozen=True, slots=True)
class Near:
    latitude: float
    longitude: float
    radius_km: float


@dataclass(frozen=True, slots=True)
class RestaurantFilter:
    kosher_category: KosherCategory | None = None
    certifying_agency: str | None = None
    city: str | None = None
    state: str | None = None
    # None lists ACTIVE restaurants: PENDING and CLOSED ones are listed only when asked for.
    status: RestaurantStatus | None = None
    is_cholov_yisroel: bool | None = None
    is_pas_yisroel: bool | None = None
    min_rating: float | None = None
    near: Near | None = None
    search: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewFilter:
    restaurant_id: int | None = None
    author_id: int | None = None
    # None lists APPROVED reviews.
    status: ReviewStatus | None = None
    min_rating: int | None = None


@dataclass(frozen=True, slots=True)
class UserFilter:
    role: Role | None = None
    search: str | None = None


@dataclass(frozen=True, slots=True)
class NewRestaurant:
    name: str
    kosher_category: KosherCategory
    address: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None
    phone: str | None = None
    website: str | None = None
    certifying_agency: str | None = None
    is_cholov_yisroel: bool = False
    is_pas_yisroel: bool = False
    price_range: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True, slots=True)
class RestaurantPatch:
    """Only the fields present change; a present None clears a nullable field."""

    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class NewReview:
    restaurant_id: int
    rating: int
    content: str
    title: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewPatch:
    fields: Mapping[str, Any]
