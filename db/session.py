"""Connections as the resolvers see them: one shared read connection per request, and
short write transactions (the unit of work) of their own.

GraphQL resolves sibling fields concurrently, and neither asyncpg nor aiosqlite allows
two statements at once on one connection, so reads take turns on the request's
connection instead of each checking out a pooled one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Executable


class Executor(Protocol):
    async def execute(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> Result[Any]: ...


class RequestConnection:
    """Checks a connection out on the first statement and returns it in `close()`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._lock = asyncio.Lock()

    async def execute(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> Result[Any]:
        async with self._lock:
            if self._connection is None:
                self._connection = await self._engine.connect()
            # Each statement sees every commit made before it (READ COMMITTED on
            # PostgreSQL; SQLite reads outside a transaction), writes included.
            return await self._connection.execute(statement, parameters)

    async def close(self) -> None:
        async with self._lock:
            if self._connection is not None:
                connection, self._connection = self._connection, None
                await connection.close()


class Transaction:
    """A write transaction: `async with` commits on success and rolls back on error."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None

    async def __aenter__(self) -> Transaction:
        self._connection = await self._engine.connect()
        await self._connection.begin()
        return self

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if exc_type is None:
                await connection.commit()
            else:
                await connection.rollback()
        finally:
            await connection.close()

    async def execute(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> Result[Any]:
        if self._connection is None:
            raise RuntimeError("transaction used outside `async with`")
        return await self._connection.execute(statement, parameters)


class RequestDatabase:
    """What one request may do with the database: share reads, open write transactions."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.reads = RequestConnection(engine)

    def transaction(self) -> Transaction:
        return Transaction(self.engine)

    async def close(self) -> None:
        await self.reads.close()
