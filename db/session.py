"""Connections as the resolvers see them: a request's reads take turns on one pooled
connection at a time, and writes run in short transactions (the unit of work).

A read checks a connection out for its statement only, so a request never holds one
connection while it waits for another (a mutation's transaction, the flag store): held
connections waiting on each other would deadlock a busy pool. Reads run in autocommit
(no BEGIN, no ROLLBACK on return: one round trip each). Reads of one request take turns,
so one request uses one connection at a time however many fields it resolves
concurrently. A read that meets a connection the server has dropped is retried once on
a fresh one (reads are idempotent).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy.engine import Result
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Executable


def connection_lost(error: BaseException) -> bool:
    """Whether `error` is the database connection going away under a statement (the server
    restarted or terminated the backend), as opposed to the statement failing."""
    if isinstance(error, DBAPIError):
        return bool(error.connection_invalidated)
    # A connection the driver already knew was closed, met outside SQLAlchemy's wrapping.
    return type(error).__name__ in ("ConnectionDoesNotExistError", "InterfaceError") and (
        "closed" in str(error).lower()
    )


class Executor(Protocol):
    async def execute(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> Result[Any]: ...


_AUTOCOMMIT: dict[int, AsyncEngine] = {}


def autocommit(engine: AsyncEngine) -> AsyncEngine:
    """The engine's autocommit view: the same pool, connections without transactions."""
    view = _AUTOCOMMIT.get(id(engine))
    if view is None or view.sync_engine.pool is not engine.sync_engine.pool:
        view = _AUTOCOMMIT[id(engine)] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return view


class RequestConnection:
    """One statement at a time, each on a connection checked out for it alone."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = autocommit(engine)
        self._lock = asyncio.Lock()

    async def execute(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> Result[Any]:
        async with self._lock:
            try:
                return await self._once(statement, parameters)
            except DBAPIError as exc:
                if not exc.connection_invalidated:
                    raise
            return await self._once(statement, parameters)

    async def _once(
        self, statement: Executable, parameters: Mapping[str, Any] | None
    ) -> Result[Any]:
        async with self._engine.connect() as connection:
            # Buffered, so the result outlives the connection's return to the pool.
            return await connection.execute(statement, parameters)

    async def close(self) -> None:
        """Nothing is held between statements; kept for the request's clean-up."""


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
