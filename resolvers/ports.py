"""What each version implements, per domain. The schema talks to these and nothing else.

Every method takes already-parsed domain values and returns frozen domain dataclasses;
permission rules come from `resolvers.policy`, basic checks from `resolvers.validation`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from jewgo.resolvers.domain import (
    Author,
    Domain,
    NewRestaurant,
    NewReview,
    Page,
    PageArgs,
    Restaurant,
    RestaurantFilter,
    RestaurantOrder,
    RestaurantPatch,
    Review,
    ReviewFilter,
    ReviewPatch,
    ReviewStatus,
    Role,
    Statistics,
    User,
    UserFilter,
    Version,
    Viewer,
)


class RestaurantsPort(Protocol):
    async def restaurant(self, restaurant_id: int) -> Restaurant | None: ...

    async def restaurant_list(
        self, where: RestaurantFilter, order: RestaurantOrder, page: PageArgs
    ) -> Page[Restaurant]: ...

    async def create_restaurant(self, viewer: Viewer | None, data: NewRestaurant) -> Restaurant: ...

    async def update_restaurant(
        self, viewer: Viewer | None, restaurant_id: int, patch: RestaurantPatch
    ) -> Restaurant: ...

    async def delete_restaurant(self, viewer: Viewer | None, restaurant_id: int) -> bool: ...


class ReviewsPort(Protocol):
    async def review(self, viewer: Viewer | None, review_id: int) -> Review | None: ...

    async def review_list(
        self, viewer: Viewer | None, where: ReviewFilter, page: PageArgs
    ) -> Page[Review]: ...

    async def restaurant_reviews(self, restaurant_id: int, page: PageArgs) -> Page[Review]:
        """APPROVED reviews of one restaurant, newest first."""
        ...

    async def reviews_of_restaurants(
        self, restaurant_ids: Sequence[int], page: PageArgs
    ) -> list[Page[Review]]:
        """`restaurant_reviews` of each restaurant of a page, in order."""
        ...

    async def create_review(self, viewer: Viewer | None, data: NewReview) -> Review: ...

    async def update_review(
        self, viewer: Viewer | None, review_id: int, patch: ReviewPatch
    ) -> Review: ...

    async def delete_review(self, viewer: Viewer | None, review_id: int) -> bool: ...

    async def moderate_review(
        self, viewer: Viewer | None, review_id: int, status: ReviewStatus
    ) -> Review: ...


class UsersPort(Protocol):
    async def author(self, user_id: int) -> Author | None: ...

    async def authors(self, user_ids: Sequence[int]) -> list[Author | None]:
        """`author` of each id, in order."""
        ...

    async def me(self, viewer: Viewer | None) -> User | None: ...

    async def user(self, viewer: Viewer | None, user_id: int) -> User | None: ...

    async def user_list(
        self, viewer: Viewer | None, where: UserFilter, page: PageArgs
    ) -> Page[User]: ...

    async def update_user_role(self, viewer: Viewer | None, user_id: int, role: Role) -> User: ...

    async def delete_user(self, viewer: Viewer | None, user_id: int) -> bool: ...


class StatisticsPort(Protocol):
    async def summary(self) -> Statistics: ...


# Called around every domain call: (domain, version) → an awaitable to run first, or None.
Interceptor = Callable[[Domain, Version], Awaitable[None] | None]


class Backend(Protocol):
    """One version's implementation of every domain, bound to one request."""

    @property
    def restaurants(self) -> RestaurantsPort: ...

    @property
    def reviews(self) -> ReviewsPort: ...

    @property
    def users(self) -> UsersPort: ...

    @property
    def statistics(self) -> StatisticsPort: ...


@dataclass(frozen=True, slots=True)
class Change:
    """What one committed write touched, cascades included (for cache invalidation)."""

    restaurants: frozenset[int] = frozenset()  # restaurant rows created, updated or deleted
    reviews: frozenset[int] = frozenset()  # review rows created, updated or deleted
    users: frozenset[int] = frozenset()  # user rows updated or deleted
    rated: frozenset[int] = frozenset()  # restaurants whose APPROVED reviews may differ now
    authors: frozenset[int] = frozenset()  # users whose review count may differ now

    @classmethod
    def of_review(cls, review_id: int, restaurant_id: int, author_id: int) -> Change:
        """One review written: its restaurant's rating and its author's count move."""
        return cls(
            reviews=frozenset({review_id}),
            rated=frozenset({restaurant_id}),
            authors=frozenset({author_id}),
        )

    @classmethod
    def of_deleted_restaurant(
        cls, restaurant_id: int, reviews: Iterable[tuple[int, int]]
    ) -> Change:
        """A restaurant deleted with its `reviews`, (review id, author id) pairs: every
        author's count moves, and the restaurant's rating and review heads go."""
        pairs = list(reviews)
        return cls(
            restaurants=frozenset({restaurant_id}),
            reviews=frozenset(review_id for review_id, _ in pairs),
            rated=frozenset({restaurant_id}),
            authors=frozenset(author_id for _, author_id in pairs),
        )

    @classmethod
    def of_deleted_user(cls, user_id: int, reviews: Iterable[tuple[int, int]]) -> Change:
        """A user deleted with their `reviews`, (review id, restaurant id) pairs: every
        restaurant they reviewed is rated anew."""
        pairs = list(reviews)
        return cls(
            users=frozenset({user_id}),
            reviews=frozenset(review_id for review_id, _ in pairs),
            rated=frozenset(restaurant_id for _, restaurant_id in pairs),
            authors=frozenset({user_id}),
        )


class ChangeSink(Protocol):
    """Told after every committed write, by v3 and v4 alike."""

    async def changed(self, change: Change) -> None: ...


class NoChanges:
    """A sink that listens to nothing (unit tests, tools)."""

    async def changed(self, change: Change) -> None:
        return None
