"""Reviews in memory: the fakes of the read and the write port."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jewgo.resolvers.domain import Review, ReviewStatus
from jewgo.resolvers.v4.exceptions import DuplicateReview, RestaurantGone
from jewgo.resolvers.v4.reads import ReviewHead, ReviewQuery
from tests.fakes.memory_store import Store

_WHICH = "review of restaurant {restaurant_id} by user {author_id}"


class MemoryReviewReads:
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
    ) -> dict[int, ReviewHead]:
        heads = {}
        for restaurant_id in restaurant_ids:
            found = self._matching(ReviewQuery(ReviewStatus.APPROVED, restaurant_id=restaurant_id))
            heads[restaurant_id] = (found[:limit], len(found))
        return heads


class MemoryReviewWrites:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def by_author_and_restaurant(self, author_id: int, restaurant_id: int) -> int | None:
        return self._written(author_id, restaurant_id)

    def _written(self, author_id: int, restaurant_id: int) -> int | None:
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
        # The constraints that the SQL adapter reports as these, in the databases' order:
        # the unique index during the insert, the foreign keys at the statement's end.
        which = _WHICH.format(**values)
        # Not through `by_author_and_restaurant`: the unique index does not depend on
        # the lookup a caller may have made (or skipped) before.
        if self._written(values["author_id"], values["restaurant_id"]) is not None:
            raise DuplicateReview(which)
        if (
            values["restaurant_id"] not in self._store.restaurants
            or values["author_id"] not in self._store.users
        ):
            raise RestaurantGone(which)
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
