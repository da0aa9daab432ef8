"""The unit of work: one transaction, its repositories, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from jewgo.resolvers.v4.repositories import (
    RestaurantRepository,
    ReviewRepository,
    StatisticsRepository,
    UserRepository,
)
from jewgo.resolvers.v4.sql import SqlRepositories


class UnitOfWork(Protocol):
    @property
    def restaurants(self) -> RestaurantRepository: ...

    @property
    def reviews(self) -> ReviewRepository: ...

    @property
    def users(self) -> UserRepository: ...

    @property
    def statistics(self) -> StatisticsRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


class SqlUnitOfWork:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None

    async def __aenter__(self) -> Self:
        self._connection = await self._engine.connect()
        await self._connection.begin()
        repositories = SqlRepositories(self._connection)
        self.restaurants = repositories.restaurants
        self.reviews = repositories.reviews
        self.users = repositories.users
        self.statistics = repositories.statistics
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
