"""Which constraint a failed write broke, read from the driver's error code.

The one mapping of integrity errors for every writer above: v3's hand-written SQL and
v4's SQL adapters alike. PostgreSQL drivers expose the SQLSTATE (asyncpg through
SQLAlchemy's adapter as `sqlstate`, psycopg as `sqlstate` or `pgcode`); sqlite3 exposes
its extended result code as `sqlite_errorcode`. Messages are never parsed: their wording
differs by driver, version and locale.
"""

from __future__ import annotations

import sqlite3
from enum import StrEnum

from sqlalchemy.exc import IntegrityError


class Violation(StrEnum):
    UNIQUE = "unique"  # a unique index or a primary key
    FOREIGN_KEY = "foreign_key"  # a referenced row is missing
    CHECK = "check"
    NOT_NULL = "not_null"
    OTHER = "other"  # any other integrity error, or a driver that gives no code


# PostgreSQL's class 23, "integrity constraint violation".
_BY_SQLSTATE = {
    "23505": Violation.UNIQUE,
    "23503": Violation.FOREIGN_KEY,
    "23514": Violation.CHECK,
    "23502": Violation.NOT_NULL,
}
_BY_SQLITE_CODE = {
    sqlite3.SQLITE_CONSTRAINT_UNIQUE: Violation.UNIQUE,
    sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY: Violation.UNIQUE,
    sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY: Violation.FOREIGN_KEY,
    sqlite3.SQLITE_CONSTRAINT_CHECK: Violation.CHECK,
    sqlite3.SQLITE_CONSTRAINT_NOTNULL: Violation.NOT_NULL,
}


def violation(error: IntegrityError) -> Violation:
    """The kind of constraint behind `error`, from the code its driver attached."""
    driver = error.orig
    sqlstate = getattr(driver, "sqlstate", None) or getattr(driver, "pgcode", None)
    if isinstance(sqlstate, str):
        return _BY_SQLSTATE.get(sqlstate, Violation.OTHER)
    code = getattr(driver, "sqlite_errorcode", None)
    if isinstance(code, int):
        return _BY_SQLITE_CODE.get(code, Violation.OTHER)
    return Violation.OTHER
