"""What each version implements, per domain. The schema talks to these and nothing else.

Every method takes already-parsed domain values and returns frozen domain dataclasses;
permission rules come from `resolvers.policy`, basic checks from `resolvers.validation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from resolvers.domain import (
    Author,
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

    async def me(self, viewer: Viewer | None) -> User | None: ...

    async def user(self, viewer: Viewer | None, user_id: int) -> User | None: ...

    async def user_list(
        self, viewer: Viewer | None, where: UserFilter, page: PageArgs
    ) -> Page[User]: ...

    async def update_user_role(self, viewer: Viewer | None, user_id: int, role: Role) -> User: ...

    async def delete_user(self, viewer: Viewer | None, user_id: int) -> bool: ...


class StatisticsPort(Protocol):
    async def summary(self) -> Statistics: ...


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


class ChangeSink(Protocol):
    """Told after every committed write, by v3 and v4 alike (cache invalidation, shadow)."""

    async def restaurants_changed(self, ids: Sequence[int]) -> None: ...

    async def reviews_changed(self, ids: Sequence[int], restaurant_ids: Sequence[int]) -> None: ...

    async def users_changed(self, ids: Sequence[int]) -> None: ...


class NoChanges:
    """A sink that listens to nothing (no cache yet, or in unit tests)."""

    async def restaurants_changed(self, ids: Sequence[int]) -> None:
        return None

    async def reviews_changed(self, ids: Sequence[int], restaurant_ids: Sequence[int]) -> None:
        return None

    async def users_changed(self, ids: Sequence[int]) -> None:
        return None
