"""The v4 service layer: business rules over repositories, a unit of work per write.

Services take their dependencies as arguments; permission rules come from
`resolvers.policy` and basic checks from `resolvers.validation`, as in v3.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

from jewgo.resolvers import pagination, policy, validation
from jewgo.resolvers.domain import (
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
    now,
)
from jewgo.resolvers.errors import InvalidInput, NotFound, already_reviewed, restaurant_gone
from jewgo.resolvers.ports import Change, ChangeSink
from jewgo.resolvers.v4.exceptions import DuplicateReview, RestaurantGone
from jewgo.resolvers.v4.loaders import Loaders
from jewgo.resolvers.v4.reads import Reads, ReviewHead, ReviewQuery
from jewgo.resolvers.v4.unit_of_work import UnitOfWork
from jewgo.resolvers.v4.validation import BasicChecks, Checks

UnitOfWorkFactory = Callable[[], UnitOfWork]


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _head_page(restaurant_id: int, head: ReviewHead, first: int) -> Page[Review]:
    """A restaurant's first page of reviews from its cached head (newest `first + 1`)."""
    items, approved = head

    async def known() -> int:
        return approved

    scope = pagination.list_of("restaurant", restaurant_id)
    return pagination.build_page(
        items, first, "REVIEWS", lambda v: (v.created_at, v.id), known, scope
    )


def _decoded(after: str | None, kind: str, scope: str) -> tuple[Any, ...] | None:
    return pagination.decode(after, kind, scope) if after is not None else None


class _Service:
    def __init__(
        self,
        reads: Reads,
        uow: UnitOfWorkFactory,
        loaders: Loaders,
        changes: ChangeSink,
        checks: Checks,
    ) -> None:
        self._reads = reads
        self._uow = uow
        self._loaders = loaders
        self._changes = changes
        self._checks = checks

    async def _written(self, change: Change) -> None:
        """After a commit: the cache forgets what changed, and so does this request."""
        await self._changes.changed(change)
        self._loaders.clear()


class RestaurantService(_Service):
    async def restaurant(self, restaurant_id: int) -> Restaurant | None:
        return await self._loaders.restaurant.load(restaurant_id)

    async def restaurant_list(
        self, where: RestaurantFilter, order: RestaurantOrder, page: PageArgs
    ) -> Page[Restaurant]:
        where = validation.restaurant_filter(where)
        if order is RestaurantOrder.DISTANCE and where.near is None:
            raise InvalidInput(
                "orderBy DISTANCE needs filter.near", {"orderBy": "DISTANCE needs filter.near"}
            )
        scope = pagination.list_of(where)
        after = _decoded(page.after, order.value, scope)
        rows = await self._reads.restaurants.page(where, order, after, page.first + 1)
        for restaurant in rows:
            # The rest of the request finds these without another statement.
            self._loaders.restaurant.prime(restaurant.id, restaurant)

        async def total() -> int:
            return await self._reads.restaurants.count(where)

        return pagination.build_page(
            rows,
            page.first,
            order.value,
            lambda r: pagination.restaurant_key(r, order),
            total,
            scope,
        )

    async def create_restaurant(self, viewer: Viewer | None, data: NewRestaurant) -> Restaurant:
        viewer = policy.signed_in(viewer)
        data = self._checks.new_restaurant(data)
        stamp = now()
        values = {
            "name": data.name,
            "address": data.address,
            "city": data.city,
            "state": data.state,
            "zip_code": data.zip_code,
            "phone": data.phone,
            "website": data.website,
            "kosher_category": data.kosher_category.value,
            "certifying_agency": data.certifying_agency,
            "is_cholov_yisroel": data.is_cholov_yisroel,
            "is_pas_yisroel": data.is_pas_yisroel,
            "price_range": data.price_range,
            "latitude": data.latitude,
            "longitude": data.longitude,
            "status": policy.initial_restaurant_status(viewer),
            "created_by": viewer.id,
            "created_at": stamp,
            "updated_at": stamp,
        }
        async with self._uow() as uow:
            new_id = await uow.restaurants.add(values)
            await uow.commit()
        await self._written(Change(restaurants=frozenset({new_id})))
        return await self._fresh(new_id)

    async def update_restaurant(
        self, viewer: Viewer | None, restaurant_id: int, patch: RestaurantPatch
    ) -> Restaurant:
        policy.admin(viewer)
        patch = self._checks.restaurant_patch(patch)
        values = {name: _plain(value) for name, value in patch.fields.items()}
        async with self._uow() as uow:
            if not await uow.restaurants.update(restaurant_id, values | {"updated_at": now()}):
                raise NotFound(f"No restaurant with id {restaurant_id}")
            await uow.commit()
        await self._written(Change(restaurants=frozenset({restaurant_id})))
        return await self._fresh(restaurant_id)

    async def delete_restaurant(self, viewer: Viewer | None, restaurant_id: int) -> bool:
        policy.admin(viewer)
        async with self._uow() as uow:
            cascaded = await uow.reviews.of_restaurant(restaurant_id)
            if not await uow.restaurants.remove(restaurant_id):
                raise NotFound(f"No restaurant with id {restaurant_id}")
            await uow.commit()
        await self._written(
            Change(
                restaurants=frozenset({restaurant_id}),
                reviews=frozenset(review_id for review_id, _ in cascaded),
                rated=frozenset({restaurant_id}),
                authors=frozenset(author for _, author in cascaded),
            )
        )
        return True

    async def _fresh(self, restaurant_id: int) -> Restaurant:
        """The restaurant as just written, replacing what this request had loaded."""
        restaurant = (await self._reads.restaurants.by_ids([restaurant_id])).get(restaurant_id)
        if restaurant is None:
            raise NotFound(f"No restaurant with id {restaurant_id}")
        self._loaders.restaurant.prime(restaurant_id, restaurant, force=True)
        return restaurant


class ReviewService(_Service):
    async def review(self, viewer: Viewer | None, review_id: int) -> Review | None:
        review = await self._reads.reviews.by_id(review_id)
        return review if review is not None and policy.can_see_review(viewer, review) else None

    async def review_list(
        self, viewer: Viewer | None, where: ReviewFilter, page: PageArgs
    ) -> Page[Review]:
        where = validation.review_filter(where)
        listed = pagination.list_of(where)
        after = _decoded(page.after, "REVIEWS", listed)
        scope = policy.review_scope(viewer, where.status)
        if scope is None:
            return Page(items=(), has_next=False)
        status, only_author = scope
        if only_author is not None and where.author_id not in (None, only_author):
            return Page(items=(), has_next=False)
        query = ReviewQuery(
            status=status,
            restaurant_id=where.restaurant_id,
            author_id=only_author if only_author is not None else where.author_id,
            min_rating=where.min_rating,
        )
        return await self._page(query, after, page.first, listed)

    async def restaurant_reviews(self, restaurant_id: int, page: PageArgs) -> Page[Review]:
        if page.after is None:
            head = await self._loaders.review_head.load((restaurant_id, page.first + 1))
            return _head_page(restaurant_id, head, page.first)
        scope = pagination.list_of("restaurant", restaurant_id)
        query = ReviewQuery(status=ReviewStatus.APPROVED, restaurant_id=restaurant_id)
        return await self._page(query, _decoded(page.after, "REVIEWS", scope), page.first, scope)

    async def reviews_of_restaurants(
        self, restaurant_ids: Sequence[int], page: PageArgs
    ) -> list[Page[Review]]:
        if page.after is None:
            heads = await self._loaders.review_head.load_many(
                [(i, page.first + 1) for i in restaurant_ids]
            )
            return [
                _head_page(i, h, page.first) for i, h in zip(restaurant_ids, heads, strict=True)
            ]
        return [await self.restaurant_reviews(i, page) for i in restaurant_ids]

    async def _page(
        self, query: ReviewQuery, after: tuple[Any, ...] | None, first: int, scope: str
    ) -> Page[Review]:
        rows = await self._reads.reviews.page(query, after, first + 1)

        async def total() -> int:
            return await self._reads.reviews.count(query)

        return pagination.build_page(
            rows, first, "REVIEWS", lambda v: (v.created_at, v.id), total, scope
        )

    async def create_review(self, viewer: Viewer | None, data: NewReview) -> Review:
        viewer = policy.signed_in(viewer)
        data = self._checks.new_review(data)
        if not await self._reads.restaurants.exists(data.restaurant_id):
            raise InvalidInput(
                f"No restaurant with id {data.restaurant_id}",
                {"restaurantId": "no such restaurant"},
            )
        stamp = now()
        try:
            async with self._uow() as uow:
                if await uow.reviews.by_author_and_restaurant(viewer.id, data.restaurant_id):
                    raise already_reviewed()
                new_id = await uow.reviews.add(
                    {
                        "restaurant_id": data.restaurant_id,
                        "author_id": viewer.id,
                        "rating": data.rating,
                        "title": data.title,
                        "content": data.content,
                        "status": ReviewStatus.PENDING.value,
                        "created_at": stamp,
                        "updated_at": stamp,
                    }
                )
                await uow.commit()
        # What only the write sees: a concurrent duplicate, the restaurant deleted meanwhile.
        except DuplicateReview as exc:
            raise already_reviewed() from exc
        except RestaurantGone as exc:
            raise restaurant_gone() from exc
        await self._written(Change.of_review(new_id, data.restaurant_id, viewer.id))
        return await self._fresh(new_id)

    async def _editable(self, viewer: Viewer | None, review_id: int) -> tuple[Viewer, Review]:
        viewer = policy.signed_in(viewer)
        review = await self.review(viewer, review_id)
        if review is None:
            raise NotFound(f"No review with id {review_id}")
        return policy.author_or_admin(viewer, review), review

    async def update_review(
        self, viewer: Viewer | None, review_id: int, patch: ReviewPatch
    ) -> Review:
        editor, review = await self._editable(viewer, review_id)
        patch = self._checks.review_patch(patch)
        values = dict(patch.fields)
        values["status"] = policy.review_status_after_edit(editor, review).value
        values["updated_at"] = now()
        async with self._uow() as uow:
            await uow.reviews.update(review_id, values)
            await uow.commit()
        await self._written(Change.of_review(review_id, review.restaurant_id, review.author_id))
        return await self._fresh(review_id)

    async def delete_review(self, viewer: Viewer | None, review_id: int) -> bool:
        _, review = await self._editable(viewer, review_id)
        async with self._uow() as uow:
            await uow.reviews.remove(review_id)
            await uow.commit()
        await self._written(Change.of_review(review_id, review.restaurant_id, review.author_id))
        return True

    async def moderate_review(
        self, viewer: Viewer | None, review_id: int, status: ReviewStatus
    ) -> Review:
        policy.staff(viewer)
        review = await self._reads.reviews.by_id(review_id)
        if review is None:
            raise NotFound(f"No review with id {review_id}")
        async with self._uow() as uow:
            await uow.reviews.update(review_id, {"status": status.value, "updated_at": now()})
            await uow.commit()
        await self._written(Change.of_review(review_id, review.restaurant_id, review.author_id))
        return await self._fresh(review_id)

    async def _fresh(self, review_id: int) -> Review:
        review = await self._reads.reviews.by_id(review_id)
        if review is None:
            raise NotFound(f"No review with id {review_id}")
        return review


class UserService(_Service):
    async def author(self, user_id: int) -> Author | None:
        return await self._loaders.author.load(user_id)

    async def authors(self, user_ids: Sequence[int]) -> list[Author | None]:
        return await self._loaders.author.load_many(user_ids)

    async def me(self, viewer: Viewer | None) -> User | None:
        return None if viewer is None else await self._reads.users.by_id(viewer.id)

    async def user(self, viewer: Viewer | None, user_id: int) -> User | None:
        policy.admin(viewer)
        return await self._reads.users.by_id(user_id)

    async def user_list(
        self, viewer: Viewer | None, where: UserFilter, page: PageArgs
    ) -> Page[User]:
        policy.admin(viewer)
        where = validation.user_filter(where)
        scope = pagination.list_of(where)
        after = _decoded(page.after, "USERS", scope)
        rows = await self._reads.users.page(where, after, page.first + 1)

        async def total() -> int:
            return await self._reads.users.count(where)

        return pagination.build_page(
            rows, page.first, "USERS", lambda u: (u.name, u.id), total, scope
        )

    async def update_user_role(self, viewer: Viewer | None, user_id: int, role: Role) -> User:
        admin = policy.admin(viewer)
        policy.not_self(admin, user_id, "change the role of")
        async with self._uow() as uow:
            if not await uow.users.set_role(user_id, role, {"updated_at": now()}):
                raise NotFound(f"No user with id {user_id}")
            await uow.commit()
        await self._written(Change(users=frozenset({user_id})))
        user = await self._reads.users.by_id(user_id)
        if user is None:
            raise NotFound(f"No user with id {user_id}")
        return user

    async def delete_user(self, viewer: Viewer | None, user_id: int) -> bool:
        admin = policy.admin(viewer)
        policy.not_self(admin, user_id, "delete")
        async with self._uow() as uow:
            written = await uow.reviews.of_author(user_id)
            if not await uow.users.remove(user_id):
                raise NotFound(f"No user with id {user_id}")
            await uow.commit()
        await self._written(
            Change(
                users=frozenset({user_id}),
                reviews=frozenset(review_id for review_id, _ in written),
                rated=frozenset(rid for _, rid in written),
                authors=frozenset({user_id}),
            )
        )
        return True


class StatisticsService:
    def __init__(self, reads: Reads) -> None:
        self._reads = reads

    async def summary(self) -> Statistics:
        return await self._reads.statistics.summary()


class V4Backend:
    """The v4 implementation of every domain for one request."""

    def __init__(
        self,
        reads: Reads,
        uow: UnitOfWorkFactory,
        changes: ChangeSink,
        loaders: Loaders,
        checks: Checks | None = None,
    ) -> None:
        """`checks`: v4's strict validation when `api_v4_validation` is on, else the basics."""
        checks = checks or BasicChecks()
        self.loaders = loaders
        self.restaurants = RestaurantService(reads, uow, self.loaders, changes, checks)
        self.reviews = ReviewService(reads, uow, self.loaders, changes, checks)
        self.users = UserService(reads, uow, self.loaders, changes, checks)
        self.statistics = StatisticsService(reads)
