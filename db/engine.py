"""Async engines for PostgreSQL (asyncpg) and the embedded SQLite default (aiosqlite)."""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from jewgo.db.geo import distance_km

# The statements of the current request, when someone counts them (a one-item list).
STATEMENTS: ContextVar[list[int] | None] = ContextVar("sql_statements", default=None)


def _count_statement(*_: Any) -> None:
    counter = STATEMENTS.get()
    if counter is not None:
        counter[0] += 1


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for another database or `:memory:`."""
    parsed = make_url(url)
    if (
        parsed.get_backend_name() != "sqlite"
        or not parsed.database
        or parsed.database == ":memory:"
    ):
        return None
    return Path(parsed.database)


def create_engine(
    url: str, *, pool_size: int = 10, max_overflow: int = 10, pool_timeout: float = 10.0
) -> AsyncEngine:
    """An engine tuned for the gateway: WAL, foreign keys and `distance_km` on SQLite."""
    if is_sqlite(url):
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 15}, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _prepare_sqlite_connection)
    else:
        engine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout,
            # No ping per checkout (a round trip per statement): a dropped connection
            # invalidates the pool when met, and reads retry once (db.session).
            pool_pre_ping=False,
            pool_recycle=1800,
            # Errors name the statement, not its values (emails, names, tokens).
            hide_parameters=True,
        )
    event.listen(engine.sync_engine, "before_cursor_execute", _count_statement)
    return engine


def dedicated_engine(url: str) -> AsyncEngine:
    """An engine of single connections outside any pool, for a task that holds one for
    long (the controller's lease): it must not take a connection from the requests'."""
    return create_async_engine(url, poolclass=NullPool, hide_parameters=True)


def _prepare_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.create_function("distance_km", 4, distance_km, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
