"""v4 on SQLAlchemy: the read ports over the request's connection, and the unit of work
that exposes the write ports over one transaction."""

from __future__ import annotations

from functools import cached_property
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from jewgo.db.session import Executor
from jewgo.resolvers.v4.sql.restaurants import SqlRestaurantReads, SqlRestaurantWrites
from jewgo.resolvers.v4.sql.reviews import SqlReviewReads, SqlReviewWrites
from jewgo.resolvers.v4.sql.statistics import SqlStatisticsReads
from jewgo.resolvers.v4.sql.users import SqlUserReads, SqlUserWrites


class SqlReads:
    """Every read port over one executor (the request's shared reads)."""

    def __init__(self, db: Executor) -> None:
        self._db = db

    # Each domain's port is made when the request first reads it.
    @cached_property
    def restaurants(self) -> SqlRestaurantReads:
        return SqlRestaurantReads(self._db)

    @cached_property
    def reviews(self) -> SqlReviewReads:
        return SqlReviewReads(self._db)

    @cached_property
    def users(self) -> SqlUserReads:
        return SqlUserReads(self._db)

    @cached_property
    def statistics(self) -> SqlStatisticsReads:
        return SqlStatisticsReads(self._db)


class SqlUnitOfWork:
    """One transaction on a connection of its own, rolled back unless committed."""

    restaurants: SqlRestaurantWrites
    reviews: SqlReviewWrites
    users: SqlUserWrites

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None

    async def __aenter__(self) -> Self:
        self._connection = await self._engine.connect()
        await self._connection.begin()
        self.restaurants = SqlRestaurantWrites(self._connection)
        self.reviews = SqlReviewWrites(self._connection)
        self.users = SqlUserWrites(self._connection)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            # Whatever was not committed is undone, error or not.
            await connection.rollback()
            await connection.close()

    async def commit(self) -> None:
        if self._connection is None:
            raise RuntimeError("commit outside `async with`")
        await self._connection.commit()
