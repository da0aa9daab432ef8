"""The contract's input types and their mapping to domain values."""

from __future__ import annotations

from typing import Any

import strawberry

from jewgo.resolvers import domain
from jewgo.resolvers.validation import parse_id
from jewgo.schema.directory.enums import KosherCategory, RestaurantStatus, ReviewStatus, Role


def _given(obj: object) -> dict[str, Any]:
    """The fields a client actually sent: UNSET ones are left out, explicit nulls kept."""
    return {name: value for name, value in vars(obj).items() if value is not strawberry.UNSET}


def _float(value: float | None) -> float | None:
    # GraphQL Float accepts integer literals; the databases want floats.
    return float(value) if value is not None else None


@strawberry.input
class NearInput:
    latitude: float
    longitude: float
    radius_km: float

    def to_domain(self) -> domain.Near:
        return domain.Near(
            latitude=float(self.latitude),
            longitude=float(self.longitude),
            radius_km=float(self.radius_km),
        )


@strawberry.input
class RestaurantFilter:
    kosher_category: KosherCategory | None = None
    certifying_agency: str | None = None
    city: str | None = None
    state: str | None = None
    status: RestaurantStatus | None = strawberry.field(
        default=None, description="Without one, only ACTIVE restaurants are listed."
    )
    is_cholov_yisroel: bool | None = None
    is_pas_yisroel: bool | None = None
    min_rating: float | None = None
    near: NearInput | None = None
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive match on name, city and certifying agency."
    )

    def to_domain(self) -> domain.RestaurantFilter:
        return domain.RestaurantFilter(
            kosher_category=self.kosher_category,
            certifying_agency=self.certifying_agency,
            city=self.city,
            state=self.state,
            status=self.status,
            is_cholov_yisroel=self.is_cholov_yisroel,
            is_pas_yisroel=self.is_pas_yisroel,
            min_rating=_float(self.min_rating),
            near=self.near.to_domain() if self.near is not None else None,
            search=self.search,
        )


@strawberry.input
class ReviewFilter:
    restaurant_id: strawberry.ID | None = None
    author_id: strawberry.ID | None = None
    status: ReviewStatus | None = strawberry.field(
        default=None,
        description="Without one, APPROVED reviews. Others are visible to their author and "
        "to moderators and admins.",
    )
    min_rating: int | None = None

    def to_domain(self) -> domain.ReviewFilter:
        return domain.ReviewFilter(
            restaurant_id=(
                parse_id(self.restaurant_id, "restaurantId")
                if self.restaurant_id is not None
                else None
            ),
            author_id=parse_id(self.author_id, "authorId") if self.author_id is not None else None,
            status=self.status,
            min_rating=self.min_rating,
        )


@strawberry.input
class UserFilter:
    role: Role | None = None
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive match on name or email."
    )

    def to_domain(self) -> domain.UserFilter:
        return domain.UserFilter(role=self.role, search=self.search)


@strawberry.input
class CreateRestaurantInput:
    name: str
    kosher_category: KosherCategory
    address: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None
    phone: str | None = None
    website: str | None = None
    certifying_agency: str | None = None
    is_cholov_yisroel: bool | None = False
    is_pas_yisroel: bool | None = False
    price_range: str | None = None
    latitude: float | None = None
    longitude: float | None = None

    def to_domain(self) -> domain.NewRestaurant:
        return domain.NewRestaurant(
            name=self.name,
            kosher_category=self.kosher_category,
            address=self.address,
            city=self.city,
            state=self.state,
            zip_code=self.zip_code,
            phone=self.phone,
            website=self.website,
            certifying_agency=self.certifying_agency,
            is_cholov_yisroel=bool(self.is_cholov_yisroel),
            is_pas_yisroel=bool(self.is_pas_yisroel),
            price_range=self.price_range,
            latitude=_float(self.latitude),
            longitude=_float(self.longitude),
        )


@strawberry.input(description="Only the fields given are changed.")
class UpdateRestaurantInput:
    name: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    state: str | None = strawberry.UNSET
    zip_code: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    website: str | None = strawberry.UNSET
    kosher_category: KosherCategory | None = strawberry.UNSET
    certifying_agency: str | None = strawberry.UNSET
    is_cholov_yisroel: bool | None = strawberry.UNSET
    is_pas_yisroel: bool | None = strawberry.UNSET
    price_range: str | None = strawberry.UNSET
    latitude: float | None = strawberry.UNSET
    longitude: float | None = strawberry.UNSET
    status: RestaurantStatus | None = strawberry.UNSET

    def to_domain(self) -> domain.RestaurantPatch:
        fields = _given(self)
        for name in ("latitude", "longitude"):
            if name in fields:
                fields[name] = _float(fields[name])
        return domain.RestaurantPatch(fields=fields)


@strawberry.input
class CreateReviewInput:
    restaurant_id: strawberry.ID
    rating: int
    content: str
    title: str | None = None

    def to_domain(self) -> domain.NewReview:
        return domain.NewReview(
            restaurant_id=parse_id(self.restaurant_id, "restaurantId"),
            rating=self.rating,
            title=self.title,
            content=self.content,
        )


@strawberry.input
class UpdateReviewInput:
    rating: int | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    content: str | None = strawberry.UNSET

    def to_domain(self) -> domain.ReviewPatch:
        return domain.ReviewPatch(fields=_given(self))
