"""The directory's tables as SQLAlchemy Core sees them, and the text matching that the
SQL adapters of v4 share (ASCII case folding, as `lower()` does in both databases)."""

from __future__ import annotations

from typing import Any
from typing import cast as typed

from sqlalchemy import ColumnElement, Table, func, literal
from sqlalchemy.sql.elements import KeyedColumnElement

from jewgo.db.models import RestaurantRow, ReviewRow, UserRow

restaurants = typed(Table, RestaurantRow.__table__)
reviews = typed(Table, ReviewRow.__table__)
users = typed(Table, UserRow.__table__)


def casefold_equals(column: KeyedColumnElement[Any], value: str) -> ColumnElement[bool]:
    return func.lower(column) == func.lower(literal(value))


def like(column: KeyedColumnElement[Any], pattern: str) -> ColumnElement[bool]:
    """`pattern` comes lower-case and escaped from `validation.escape_like`."""
    return func.lower(column).like(pattern, escape="\\")
