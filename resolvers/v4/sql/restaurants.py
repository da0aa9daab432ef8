"""Restaurants on SQLAlchemy Core: the read port (with each restaurant's APPROVED-review
statistics joined in) and the write port."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    and_,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from jewgo.db.session import Executor
from jewgo.resolvers import validation
from jewgo.resolvers.domain import (
    Restaurant,
    RestaurantFilter,
    RestaurantOrder,
    RestaurantStatus,
    ReviewStatus,
)
from jewgo.resolvers.v4.sql.tables import casefold_equals, like, restaurants, reviews

_approved = (
    select(
        reviews.c.restaurant_id,
        func.count().label("approved"),
        func.sum(reviews.c.rating).label("rating_sum"),
    )
    .where(reviews.c.status == ReviewStatus.APPROVED.value)
    .group_by(reviews.c.restaurant_id)
    .subquery("s")
)
# Unrated restaurants sort after every rated one (ratings are at least 1); the same
# float division as Restaurant.from_row, so a cursor's rating compares equal.
_rating = func.coalesce(cast(_approved.c.rating_sum, Float) / _approved.c.approved, literal(-1.0))
_restaurant_columns = (
    *restaurants.c,
    func.coalesce(_approved.c.approved, 0).label("review_count"),
    _approved.c.rating_sum,
)
_with_stats = restaurants.outerjoin(_approved, _approved.c.restaurant_id == restaurants.c.id)


def _distance(where: RestaurantFilter) -> ColumnElement[Any]:
    assert where.near is not None
    return func.distance_km(
        literal(where.near.latitude, Float),
        literal(where.near.longitude, Float),
        restaurants.c.latitude,
        restaurants.c.longitude,
        type_=Float,
    )


def _after(
    key: ColumnElement[Any], after: tuple[Any, ...], *, descending: bool, id_descending: bool
) -> ColumnElement[bool]:
    value, last_id = after
    beyond = key < value if descending else key > value
    id_beyond = restaurants.c.id < last_id if id_descending else restaurants.c.id > last_id
    return or_(beyond, and_(key == value, id_beyond))


def _conditions(where: RestaurantFilter) -> list[ColumnElement[bool]]:
    c = restaurants.c
    conditions = [c.status == (where.status or RestaurantStatus.ACTIVE).value]
    if where.kosher_category is not None:
        conditions.append(c.kosher_category == where.kosher_category.value)
    if where.certifying_agency is not None:
        conditions.append(casefold_equals(c.certifying_agency, where.certifying_agency))
    if where.city is not None:
        conditions.append(casefold_equals(c.city, where.city))
    if where.state is not None:
        conditions.append(casefold_equals(c.state, where.state))
    if where.is_cholov_yisroel is not None:
        conditions.append(c.is_cholov_yisroel == where.is_cholov_yisroel)
    if where.is_pas_yisroel is not None:
        conditions.append(c.is_pas_yisroel == where.is_pas_yisroel)
    if where.min_rating is not None:
        conditions.append(_rating >= where.min_rating)
    if where.search is not None and where.search.strip():
        pattern = validation.escape_like(where.search.strip())
        conditions.append(
            or_(like(c.name, pattern), like(c.city, pattern), like(c.certifying_agency, pattern))
        )
    if where.near is not None:
        conditions.append(_distance(where) <= where.near.radius_km)
    return conditions


class SqlRestaurantReads:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def _fetch(self, statement: Select[Any]) -> list[Restaurant]:
        result = await self._db.execute(statement)
        return [Restaurant.from_row(row) for row in result.mappings()]

    async def by_ids(self, ids: Sequence[int]) -> dict[int, Restaurant]:
        if not ids:
            return {}
        found = await self._fetch(
            select(*_restaurant_columns).select_from(_with_stats).where(restaurants.c.id.in_(ids))
        )
        return {restaurant.id: restaurant for restaurant in found}

    async def page(
        self,
        where: RestaurantFilter,
        order: RestaurantOrder,
        after: tuple[Any, ...] | None,
        limit: int,
    ) -> list[Restaurant]:
        c = restaurants.c
        distance = _distance(where) if where.near is not None else literal(None, Float)
        key: ColumnElement[Any]
        if order is RestaurantOrder.NAME:
            key, descending, id_descending = c.name, False, False
        elif order is RestaurantOrder.RATING:
            key, descending, id_descending = _rating, True, False
        elif order is RestaurantOrder.NEWEST:
            key, descending, id_descending = c.created_at, True, True
        else:
            key, descending, id_descending = distance, False, False
        conditions = _conditions(where)
        if after is not None:
            conditions.append(
                _after(key, after, descending=descending, id_descending=id_descending)
            )
        statement = (
            select(*_restaurant_columns, distance.label("distance_km"))
            .select_from(_with_stats)
            .where(*conditions)
            .order_by(
                key.desc() if descending else key.asc(),
                c.id.desc() if id_descending else c.id.asc(),
            )
            .limit(limit)
        )
        return await self._fetch(statement)

    async def count(self, where: RestaurantFilter) -> int:
        statement = select(func.count()).select_from(_with_stats).where(*_conditions(where))
        return int((await self._db.execute(statement)).scalar_one())

    async def exists(self, restaurant_id: int) -> bool:
        statement = select(restaurants.c.id).where(restaurants.c.id == restaurant_id)
        return (await self._db.execute(statement)).first() is not None


class SqlRestaurantWrites:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def add(self, values: Mapping[str, Any]) -> int:
        result = await self._db.execute(
            insert(restaurants).values(**values).returning(restaurants.c.id)
        )
        return int(result.scalar_one())

    async def update(self, restaurant_id: int, values: Mapping[str, Any]) -> bool:
        result = await self._db.execute(
            update(restaurants).where(restaurants.c.id == restaurant_id).values(**values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def remove(self, restaurant_id: int) -> bool:
        # The reviews go with it: ON DELETE CASCADE.
        result = await self._db.execute(
            delete(restaurants).where(restaurants.c.id == restaurant_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
