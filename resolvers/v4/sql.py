"""The v4 repositories on SQLAlchemy Core, over the request's reads or a unit of work."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from typing import cast as typed

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    Table,
    and_,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.sql.elements import KeyedColumnElement

from jewgo.db.models import RestaurantRow, ReviewRow, UserRow
from jewgo.db.session import Executor
from jewgo.resolvers import validation
from jewgo.resolvers.domain import (
    Author,
    KosherCategory,
    Restaurant,
    RestaurantFilter,
    RestaurantOrder,
    RestaurantStatus,
    Review,
    ReviewStatus,
    Role,
    Statistics,
    User,
    UserFilter,
)
from jewgo.resolvers.v4.repositories import ReviewQuery

restaurants = typed(Table, RestaurantRow.__table__)
reviews = typed(Table, ReviewRow.__table__)
users = typed(Table, UserRow.__table__)

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


def _casefold_equals(column: KeyedColumnElement[Any], value: str) -> ColumnElement[bool]:
    return func.lower(column) == func.lower(literal(value))


def _like(column: KeyedColumnElement[Any], pattern: str) -> ColumnElement[bool]:
    return func.lower(column).like(pattern, escape="\\")


class SqlRestaurants:
    def __init__(self, db: Executor) -> None:
        self._db = db

    def _conditions(self, where: RestaurantFilter) -> list[ColumnElement[bool]]:
        c = restaurants.c
        conditions = [c.status == (where.status or RestaurantStatus.ACTIVE).value]
        if where.kosher_category is not None:
            conditions.append(c.kosher_category == where.kosher_category.value)
        if where.certifying_agency is not None:
            conditions.append(_casefold_equals(c.certifying_agency, where.certifying_agency))
        if where.city is not None:
            conditions.append(_casefold_equals(c.city, where.city))
        if where.state is not None:
            conditions.append(_casefold_equals(c.state, where.state))
        if where.is_cholov_yisroel is not None:
            conditions.append(c.is_cholov_yisroel == where.is_cholov_yisroel)
        if where.is_pas_yisroel is not None:
            conditions.append(c.is_pas_yisroel == where.is_pas_yisroel)
        if where.min_rating is not None:
            conditions.append(_rating >= where.min_rating)
        if where.search is not None and where.search.strip():
            pattern = validation.escape_like(where.search.strip())
            conditions.append(
                or_(
                    _like(c.name, pattern),
                    _like(c.city, pattern),
                    _like(c.certifying_agency, pattern),
                )
            )
        if where.near is not None:
            conditions.append(_distance(where) <= where.near.radius_km)
        return conditions

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
        conditions = self._conditions(where)
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
        statement = select(func.count()).select_from(_with_stats).where(*self._conditions(where))
        return int((await self._db.execute(statement)).scalar_one())

    async def exists(self, restaurant_id: int) -> bool:
        statement = select(restaurants.c.id).where(restaurants.c.id == restaurant_id)
        return (await self._db.execute(statement)).first() is not None

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
        result = await self._db.execute(
            delete(restaurants).where(restaurants.c.id == restaurant_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _review_conditions(query: ReviewQuery) -> list[ColumnElement[bool]]:
    c = reviews.c
    conditions = [c.status == query.status.value]
    if query.restaurant_id is not None:
        conditions.append(c.restaurant_id == query.restaurant_id)
    if query.author_id is not None:
        conditions.append(c.author_id == query.author_id)
    if query.min_rating is not None:
        conditions.append(c.rating >= query.min_rating)
    return conditions


_newest_first = (reviews.c.created_at.desc(), reviews.c.id.desc())


class SqlReviews:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def by_id(self, review_id: int) -> Review | None:
        result = await self._db.execute(select(reviews).where(reviews.c.id == review_id))
        row = result.mappings().first()
        return Review.from_row(row) if row is not None else None

    async def page(
        self, query: ReviewQuery, after: tuple[Any, ...] | None, limit: int
    ) -> list[Review]:
        conditions = _review_conditions(query)
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
        statement = select(func.count()).select_from(reviews).where(*_review_conditions(query))
        return int((await self._db.execute(statement)).scalar_one())

    async def approved_heads(
        self, restaurant_ids: Sequence[int], limit: int
    ) -> dict[int, tuple[list[Review], int]]:
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
        heads: dict[int, tuple[list[Review], int]] = {rid: ([], 0) for rid in restaurant_ids}
        for row in (await self._db.execute(statement)).mappings():
            found, _ = heads[row["restaurant_id"]]
            found.append(Review.from_row(row))
            heads[row["restaurant_id"]] = (found, int(row["approved"]))
        return heads

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
        result = await self._db.execute(insert(reviews).values(**values).returning(reviews.c.id))
        return int(result.scalar_one())

    async def update(self, review_id: int, values: Mapping[str, Any]) -> bool:
        result = await self._db.execute(
            update(reviews).where(reviews.c.id == review_id).values(**values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def remove(self, review_id: int) -> bool:
        result = await self._db.execute(delete(reviews).where(reviews.c.id == review_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]


_review_count = (
    select(func.count())
    .select_from(reviews)
    .where(reviews.c.author_id == users.c.id)
    .correlate(users)
    .scalar_subquery()
    .label("review_count")
)
_user_columns = (
    users.c.id,
    users.c.name,
    users.c.email,
    users.c.role,
    users.c.created_at,
    _review_count,
)


def _user_conditions(where: UserFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [true()]
    if where.role is not None:
        conditions.append(users.c.role == where.role.value)
    if where.search is not None and where.search.strip():
        pattern = validation.escape_like(where.search.strip())
        conditions.append(or_(_like(users.c.name, pattern), _like(users.c.email, pattern)))
    return conditions


class SqlUsers:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def by_id(self, user_id: int) -> User | None:
        result = await self._db.execute(select(*_user_columns).where(users.c.id == user_id))
        row = result.mappings().first()
        return User.from_row(row) if row is not None else None

    async def authors(self, ids: Sequence[int]) -> dict[int, Author]:
        if not ids:
            return {}
        result = await self._db.execute(select(users.c.id, users.c.name).where(users.c.id.in_(ids)))
        return {row.id: Author(id=row.id, name=row.name) for row in result}

    async def page(
        self, where: UserFilter, after: tuple[Any, ...] | None, limit: int
    ) -> list[User]:
        conditions = _user_conditions(where)
        if after is not None:
            name, last_id = after
            conditions.append(
                or_(users.c.name > name, and_(users.c.name == name, users.c.id > last_id))
            )
        statement = (
            select(*_user_columns)
            .where(*conditions)
            .order_by(users.c.name.asc(), users.c.id.asc())
            .limit(limit)
        )
        return [User.from_row(row) for row in (await self._db.execute(statement)).mappings()]

    async def count(self, where: UserFilter) -> int:
        statement = select(func.count()).select_from(users).where(*_user_conditions(where))
        return int((await self._db.execute(statement)).scalar_one())

    async def set_role(self, user_id: int, role: Role, values: Mapping[str, Any]) -> bool:
        result = await self._db.execute(
            update(users).where(users.c.id == user_id).values(role=role.value, **values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def remove(self, user_id: int) -> bool:
        result = await self._db.execute(delete(users).where(users.c.id == user_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]


class SqlStatistics:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def summary(self) -> Statistics:
        def count(table: Any, *where: ColumnElement[bool]) -> Any:
            return select(func.count()).select_from(table).where(*where).scalar_subquery()

        approved = reviews.c.status == ReviewStatus.APPROVED.value
        totals = (
            (
                await self._db.execute(
                    select(
                        count(restaurants).label("total_restaurants"),
                        count(restaurants, restaurants.c.status == "ACTIVE").label("active"),
                        count(reviews).label("total_reviews"),
                        count(reviews, approved).label("approved"),
                        select(func.sum(reviews.c.rating))
                        .where(approved)
                        .scalar_subquery()
                        .label("rating_sum"),
                        count(users).label("total_users"),
                    )
                )
            )
            .mappings()
            .one()
        )
        groups: dict[str, tuple[tuple[Any, int], ...]] = {}
        for column in (
            restaurants.c.kosher_category,
            restaurants.c.state,
            restaurants.c.certifying_agency,
        ):
            statement = (
                select(column.label("key"), func.count().label("n"))
                .where(restaurants.c.status == "ACTIVE", column.is_not(None))
                .group_by(column)
                .order_by(func.count().desc(), column.asc())
            )
            rows = (await self._db.execute(statement)).mappings()
            groups[column.name] = tuple((row["key"], int(row["n"])) for row in rows)
        approved_count = int(totals["approved"])
        return Statistics(
            total_restaurants=int(totals["total_restaurants"]),
            active_restaurants=int(totals["active"]),
            total_reviews=int(totals["total_reviews"]),
            approved_reviews=approved_count,
            total_users=int(totals["total_users"]),
            average_rating=(int(totals["rating_sum"]) / approved_count if approved_count else None),
            by_category=tuple((KosherCategory(key), n) for key, n in groups["kosher_category"]),
            by_state=groups["state"],
            by_agency=groups["certifying_agency"],
        )


class SqlRepositories:
    """Every repository over one executor: the request's reads or a unit of work."""

    def __init__(self, db: Executor) -> None:
        self.restaurants = SqlRestaurants(db)
        self.reviews = SqlReviews(db)
        self.users = SqlUsers(db)
        self.statistics = SqlStatistics(db)
