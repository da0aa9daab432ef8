"""Reviews in v4: who sees which, one review per author and restaurant, moderation; a
restaurant's first page of reviews comes from its batched head."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jewgo.resolvers import pagination, policy, validation
from jewgo.resolvers.domain import (
    NewReview,
    Page,
    PageArgs,
    Review,
    ReviewFilter,
    ReviewPatch,
    ReviewStatus,
    Viewer,
    now,
)
from jewgo.resolvers.errors import InvalidInput, NotFound, already_reviewed, restaurant_gone
from jewgo.resolvers.ports import Change
from jewgo.resolvers.v4.exceptions import DuplicateReview, RestaurantGone
from jewgo.resolvers.v4.reads import ReviewHead, ReviewQuery
from jewgo.resolvers.v4.services.layer import Service, decoded


def _head_page(restaurant_id: int, head: ReviewHead, first: int) -> Page[Review]:
    """A restaurant's first page of reviews from its cached head (newest `first + 1`)."""
    items, approved = head

    async def known() -> int:
        return approved

    scope = pagination.list_of("restaurant", restaurant_id)
    return pagination.build_page(
        items, first, "REVIEWS", lambda v: (v.created_at, v.id), known, scope
    )


class ReviewService(Service):
    async def review(self, viewer: Viewer | None, review_id: int) -> Review | None:
        review = await self._reads.reviews.by_id(review_id)
        return review if review is not None and policy.can_see_review(viewer, review) else None

    async def review_list(
        self, viewer: Viewer | None, where: ReviewFilter, page: PageArgs
    ) -> Page[Review]:
        where = validation.review_filter(where)
        listed = pagination.list_of(where)
        after = decoded(page.after, "REVIEWS", listed)
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
        return await self._page(query, decoded(page.after, "REVIEWS", scope), page.first, scope)

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
