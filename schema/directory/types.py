"""The domain object types of the contract, mapped explicitly from the domain dataclasses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field
from datetime import datetime
from typing import Any

import strawberry

from jewgo.resolvers import domain
from jewgo.resolvers.errors import NotFound
from jewgo.resolvers.pagination import page_args
from jewgo.schema.context import Info
from jewgo.schema.directory.ahead import Ahead, Selections, settle
from jewgo.schema.directory.connections import Connection
from jewgo.schema.directory.enums import KosherCategory, RestaurantStatus, ReviewStatus, Role


@strawberry.type(description="What anyone may see of a user.")
class PublicUser:
    id: strawberry.ID
    name: str


@strawberry.type
class Review:
    id: strawberry.ID
    rating: int
    title: str | None
    content: str
    status: ReviewStatus
    created_at: datetime
    updated_at: datetime
    _restaurant_id: strawberry.Private[int]
    _author_id: strawberry.Private[int]
    _author: strawberry.Private[Ahead[PublicUser] | None] = None

    @strawberry.field
    async def restaurant(self, info: Info) -> Restaurant:
        found = await info.context.router.restaurants().restaurant(self._restaurant_id)
        if found is None:  # deleted while this request ran
            raise NotFound(f"No restaurant with id {self._restaurant_id}")
        return Restaurant.of(found)

    @strawberry.field(graphql_type=PublicUser)
    def author(self, info: Info) -> Any:
        if self._author is not None:
            return self._author.get()
        return self.load_author(info)

    async def load_author(self, info: Info) -> PublicUser:
        return self._public(await info.context.router.users().author(self._author_id))

    def _public(self, found: domain.Author | None) -> PublicUser:
        if found is None:  # deleted while this request ran
            raise NotFound(f"No user with id {self._author_id}")
        return PublicUser(id=strawberry.ID(str(found.id)), name=found.name)

    @staticmethod
    async def look_ahead(info: Info, reviews: Sequence[Review]) -> None:
        """Resolve the `author` of every review of a page with one call."""
        if reviews:
            ids = [r._author_id for r in reviews]
            authors = await settle(lambda: info.context.router.users().authors(ids), len(ids))
            for review, author in zip(reviews, authors, strict=True):
                review._author = author.then(review._public)

    @classmethod
    def of(cls, v: domain.Review) -> Review:
        return cls(
            id=strawberry.ID(str(v.id)),
            rating=v.rating,
            title=v.title,
            content=v.content,
            status=v.status,
            created_at=v.created_at,
            updated_at=v.updated_at,
            _restaurant_id=v.restaurant_id,
            _author_id=v.author_id,
        )


@strawberry.type
class Restaurant:
    id: strawberry.ID
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
    average_rating: float | None = strawberry.field(
        description="Mean rating of APPROVED reviews; null when there are none."
    )
    review_count: int = strawberry.field(description="Number of APPROVED reviews.")
    distance_km: float | None = strawberry.field(
        description="Kilometres from the `near` point of the query's filter; null without one."
    )
    created_at: datetime
    updated_at: datetime
    # `reviews` resolved ahead for the whole page, by (first, after): see `look_ahead`.
    _reviews: strawberry.Private[dict[tuple[int, str | None], Ahead[Connection[Review]]]] = field(
        default_factory=dict
    )

    @strawberry.field(
        description="APPROVED reviews, newest first.", graphql_type=Connection[Review]
    )
    def reviews(self, info: Info, first: int = 10, after: str | None = None) -> Any:
        ahead = self._reviews.get((first, after))
        if ahead is not None:
            return ahead.get()
        return self.load_reviews(info, first, after)

    async def load_reviews(self, info: Info, first: int, after: str | None) -> Connection[Review]:
        context = info.context
        page = await context.router.reviews().restaurant_reviews(
            int(self.id), page_args(first, after, max_size=context.app.max_page_size)
        )
        return Connection.of(page, Review.of, after)

    @staticmethod
    async def look_ahead(info: Info, restaurants: Sequence[Restaurant]) -> None:
        """Resolve the `reviews` (and their `author`) the query asks of every restaurant
        of a page, for the whole page at once; see `schema.directory.ahead`."""
        selections, current = Selections.of(info)
        wanted = selections.path(current, "edges", "node", "reviews")
        arguments = {selections.page_arguments(f, 10) for f in wanted}
        if not restaurants or not wanted or None in arguments or len(arguments) > 1:
            return  # nothing asked, or more than one page shape: resolve lazily
        ((first, after),) = arguments  # type: ignore[misc]
        if after is not None or not 0 <= first <= info.context.app.max_page_size:
            return
        ids = [int(r.id) for r in restaurants]
        shape = page_args(first, after, max_size=info.context.app.max_page_size)
        outcomes = await settle(
            lambda: info.context.router.reviews().reviews_of_restaurants(ids, shape), len(ids)
        )
        pages = [outcome.then(lambda p: Connection.of(p, Review.of, after)) for outcome in outcomes]
        for restaurant, page in zip(restaurants, pages, strict=True):
            restaurant._reviews[(first, after)] = page
        if selections.path(wanted, "edges", "node", "author"):
            connections = [c for page in pages if (c := page.or_none()) is not None]
            await Review.look_ahead(info, [e.node for c in connections for e in c.edges])

    @classmethod
    def of(cls, r: domain.Restaurant) -> Restaurant:
        return cls(
            id=strawberry.ID(str(r.id)),
            name=r.name,
            address=r.address,
            city=r.city,
            state=r.state,
            zip_code=r.zip_code,
            phone=r.phone,
            website=r.website,
            kosher_category=r.kosher_category,
            certifying_agency=r.certifying_agency,
            is_cholov_yisroel=r.is_cholov_yisroel,
            is_pas_yisroel=r.is_pas_yisroel,
            price_range=r.price_range,
            latitude=r.latitude,
            longitude=r.longitude,
            status=r.status,
            average_rating=r.average_rating,
            review_count=r.review_count,
            distance_km=r.distance_km,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )


@strawberry.type(description="A user as the user or an admin sees it.")
class User:
    id: strawberry.ID
    name: str
    email: str
    role: Role
    review_count: int = strawberry.field(description="Reviews the user wrote, in any status.")
    created_at: datetime

    @classmethod
    def of(cls, u: domain.User) -> User:
        return cls(
            id=strawberry.ID(str(u.id)),
            name=u.name,
            email=u.email,
            role=u.role,
            review_count=u.review_count,
            created_at=u.created_at,
        )


@strawberry.type
class CategoryCount:
    category: KosherCategory
    count: int


@strawberry.type
class StateCount:
    state: str
    count: int


@strawberry.type
class AgencyCount:
    agency: str
    count: int


@strawberry.type
class Statistics:
    total_restaurants: int
    active_restaurants: int
    total_reviews: int
    approved_reviews: int
    total_users: int
    average_rating: float | None = strawberry.field(
        description="Mean of all APPROVED review ratings; null when there are none."
    )
    restaurants_by_category: list[CategoryCount] = strawberry.field(
        description="ACTIVE restaurants per category, most first."
    )
    restaurants_by_state: list[StateCount] = strawberry.field(
        description="ACTIVE restaurants per state, most first."
    )
    restaurants_by_agency: list[AgencyCount] = strawberry.field(
        description="ACTIVE restaurants per certifying agency, most first."
    )

    @classmethod
    def of(cls, s: domain.Statistics) -> Statistics:
        return cls(
            total_restaurants=s.total_restaurants,
            active_restaurants=s.active_restaurants,
            total_reviews=s.total_reviews,
            approved_reviews=s.approved_reviews,
            total_users=s.total_users,
            average_rating=s.average_rating,
            restaurants_by_category=[
                CategoryCount(category=category, count=n) for category, n in s.by_category
            ],
            restaurants_by_state=[StateCount(state=k, count=n) for k, n in s.by_state],
            restaurants_by_agency=[AgencyCount(agency=k, count=n) for k, n in s.by_agency],
        )
