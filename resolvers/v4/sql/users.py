"""Users on SQLAlchemy Core: the read port (each user with their review count, authors
by id) and the write port."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, true, update

from jewgo.db.session import Executor
from jewgo.resolvers import validation
from jewgo.resolvers.domain import Author, Role, User, UserFilter
from jewgo.resolvers.v4.sql.tables import like, reviews, users

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


def _conditions(where: UserFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [true()]
    if where.role is not None:
        conditions.append(users.c.role == where.role.value)
    if where.search is not None and where.search.strip():
        pattern = validation.escape_like(where.search.strip())
        conditions.append(or_(like(users.c.name, pattern), like(users.c.email, pattern)))
    return conditions


class SqlUserReads:
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
        conditions = _conditions(where)
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
        statement = select(func.count()).select_from(users).where(*_conditions(where))
        return int((await self._db.execute(statement)).scalar_one())


class SqlUserWrites:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def set_role(self, user_id: int, role: Role, values: Mapping[str, Any]) -> bool:
        result = await self._db.execute(
            update(users).where(users.c.id == user_id).values(role=role.value, **values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def remove(self, user_id: int) -> bool:
        # ON DELETE CASCADE takes the reviews, SET NULL the restaurants' creator.
        result = await self._db.execute(delete(users).where(users.c.id == user_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]
