"""Reviews on SQLAlchemy Core: the read port (pages newest first, each restaurant's head
of APPROVED reviews in one statement) and the write port."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from jewgo.db.integrity import Violation, violation
from jewgo.db.session import Executor
from jewgo.resolvers.domain import Review, ReviewStatus
from jewgo.resolvers.v4.exceptions import DuplicateReview, RestaurantGone
from jewgo.resolvers.v4.reads import ReviewHead, ReviewQuery
from jewgo.resolvers.v4.sql.tables import reviews

_newest_first = (reviews.c.created_at.desc(), reviews.c.id.desc())
_WHICH = "review of restaurant {restaurant_id} by user {author_id}"


def _conditions(query: ReviewQuery) -> list[ColumnElement[bool]]:
    c = reviews.c
    conditions = [c.status == query.status.value]
    if query.restaurant_id is not None:
        conditions.append(c.restaurant_id == query.restaurant_id)
    if query.author_id is not None:
        conditions.append(c.author_id == query.author_id)
    if query.min_rating is not None:
        conditions.append(c.rating >= query.min_rating)
    return conditions


class SqlReviewReads:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def by_id(self, review_id: int) -> Review | None:
        result = await self._db.execute(select(reviews).where(reviews.c.id == review_id))
        row = result.mappings().first()
        return Review.from_row(row) if row is not None else None

    async def page(
        self, query: ReviewQuery, after: tuple[Any, ...] | None, limit: int
    ) -> list[Review]:
        conditions = _conditions(query)
        if after is not None:
            created, last_id = after
            c = reviews.c
            conditions.append(
                or_(c.created_at < created, and_(c.created_at == created, c.id < last_id))
            )
        statement = select(reviews).where(*conditions).order_by(*_newest_first).limit(limit)
        result = await self._db.execute(statement)
        return [Review.from_row(row) for row in result.mappings()]

    async def count(self, query: ReviewQuery) -> int:
        statement = select(func.count()).select_from(reviews).where(*_conditions(query))
        return int((await self._db.execute(statement)).scalar_one())

    async def approved_heads(
        self, restaurant_ids: Sequence[int], limit: int
    ) -> dict[int, ReviewHead]:
        c = reviews.c
        ranked = (
            select(
                reviews,
                func.row_number()
                .over(partition_by=c.restaurant_id, order_by=_newest_first)
                .label("position"),
                func.count().over(partition_by=c.restaurant_id).label("approved"),
            )
            .where(c.restaurant_id.in_(restaurant_ids), c.status == ReviewStatus.APPROVED.value)
            .subquery("ranked")
        )
        statement = (
            select(ranked)
            .where(ranked.c.position <= limit)
            .order_by(ranked.c.restaurant_id, ranked.c.position)
        )
        heads: dict[int, ReviewHead] = {rid: ([], 0) for rid in restaurant_ids}
        for row in (await self._db.execute(statement)).mappings():
            found, _ = heads[row["restaurant_id"]]
            found.append(Review.from_row(row))
            heads[row["restaurant_id"]] = (found, int(row["approved"]))
        return heads


class SqlReviewWrites:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def by_author_and_restaurant(self, author_id: int, restaurant_id: int) -> int | None:
        statement = select(reviews.c.id).where(
            reviews.c.author_id == author_id, reviews.c.restaurant_id == restaurant_id
        )
        return (await self._db.execute(statement)).scalar_one_or_none()

    async def of_author(self, author_id: int) -> list[tuple[int, int]]:
        statement = select(reviews.c.id, reviews.c.restaurant_id).where(
            reviews.c.author_id == author_id
        )
        return [(row.id, row.restaurant_id) for row in await self._db.execute(statement)]

    async def of_restaurant(self, restaurant_id: int) -> list[tuple[int, int]]:
        statement = select(reviews.c.id, reviews.c.author_id).where(
            reviews.c.restaurant_id == restaurant_id
        )
        return [(row.id, row.author_id) for row in await self._db.execute(statement)]

    async def add(self, values: Mapping[str, Any]) -> int:
        try:
            result = await self._db.execute(
                insert(reviews).values(**values).returning(reviews.c.id)
            )
        except IntegrityError as exc:
            # A concurrent duplicate, or the restaurant deleted meanwhile. The other
            # constraints (rating, content) are checked before any write; one that fails
            # anyway is reported as v3 reports it, as the restaurant gone.
            if violation(exc) is Violation.UNIQUE:
                raise DuplicateReview(_WHICH.format(**values)) from exc
            raise RestaurantGone(_WHICH.format(**values)) from exc
        return int(result.scalar_one())

    async def update(self, review_id: int, values: Mapping[str, Any]) -> bool:
        result = await self._db.execute(
            update(reviews).where(reviews.c.id == review_id).values(**values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def remove(self, review_id: int) -> bool:
        result = await self._db.execute(delete(reviews).where(reviews.c.id == review_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]
