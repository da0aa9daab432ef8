"""Integrity errors classified by the driver's code, in the form each backend raises them."""

from __future__ import annotations

import sqlite3

import asyncpg.exceptions
import pytest
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import IntegrityError

from jewgo.db.integrity import Violation, violation

SQLITE_SCHEMA = """
    CREATE TABLE restaurants (id INTEGER PRIMARY KEY);
    CREATE TABLE reviews (
        id INTEGER PRIMARY KEY,
        restaurant_id INTEGER NOT NULL REFERENCES restaurants (id),
        rating INTEGER CHECK (rating BETWEEN 1 AND 5),
        UNIQUE (restaurant_id, rating)
    );
    INSERT INTO restaurants (id) VALUES (1);
    INSERT INTO reviews (id, restaurant_id, rating) VALUES (1, 1, 5);
"""


def sqlite_error(statement: str) -> IntegrityError:
    """The error SQLAlchemy raises over sqlite3 (aiosqlite hands sqlite3's through)."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute("PRAGMA foreign_keys=ON")
        connection.executescript(SQLITE_SCHEMA)
        with pytest.raises(sqlite3.IntegrityError) as raised:
            connection.execute(statement)
    finally:
        connection.close()
    return IntegrityError(statement, None, raised.value)


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("INSERT INTO reviews (restaurant_id, rating) VALUES (1, 5)", Violation.UNIQUE),
        ("INSERT INTO reviews (id, restaurant_id, rating) VALUES (1, 1, 4)", Violation.UNIQUE),
        ("INSERT INTO reviews (restaurant_id, rating) VALUES (99, 4)", Violation.FOREIGN_KEY),
        ("INSERT INTO reviews (restaurant_id, rating) VALUES (1, 9)", Violation.CHECK),
        ("INSERT INTO reviews (restaurant_id, rating) VALUES (NULL, 4)", Violation.NOT_NULL),
    ],
    ids=["unique", "primary key", "foreign key", "check", "not null"],
)
def test_sqlite_errors_are_read_by_their_extended_code(statement: str, expected: Violation) -> None:
    assert violation(sqlite_error(statement)) is expected


def asyncpg_error(cause: asyncpg.exceptions.PostgresError) -> IntegrityError:
    """The error SQLAlchemy raises over asyncpg: its adapter's exception around asyncpg's."""
    # SQLAlchemy's adapter classes carry no annotations.
    adapted = AsyncAdapt_asyncpg_dbapi.IntegrityError(str(cause), cause)  # type: ignore[no-untyped-call]
    return IntegrityError("INSERT ...", None, adapted)


@pytest.mark.parametrize(
    ("cause", "expected"),
    [
        (asyncpg.exceptions.UniqueViolationError, Violation.UNIQUE),
        (asyncpg.exceptions.ForeignKeyViolationError, Violation.FOREIGN_KEY),
        (asyncpg.exceptions.CheckViolationError, Violation.CHECK),
        (asyncpg.exceptions.NotNullViolationError, Violation.NOT_NULL),
        (asyncpg.exceptions.ExclusionViolationError, Violation.OTHER),
    ],
)
def test_postgres_errors_are_read_by_their_sqlstate(
    cause: type[asyncpg.exceptions.PostgresError], expected: Violation
) -> None:
    # A message that says "unique" whatever the constraint: only the code may count.
    assert violation(asyncpg_error(cause("unique duplicate"))) is expected


class Psycopg2Error(Exception):
    pgcode = "23505"


def test_a_driver_that_names_the_sqlstate_pgcode_is_read_too() -> None:
    assert violation(IntegrityError("INSERT ...", None, Psycopg2Error())) is Violation.UNIQUE


def test_an_error_without_a_code_is_other_whatever_its_message() -> None:
    error = IntegrityError("INSERT ...", None, Exception("UNIQUE constraint failed"))
    assert violation(error) is Violation.OTHER
