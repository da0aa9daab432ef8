"""Timestamps as stored: every one is UTC, whichever database hands it back.

SQLite keeps `DateTime(timezone=True)` values naive; PostgreSQL returns them aware in the
session's zone. Readers pass what they fetch through `utc` and compare aware UTC values.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


@overload
def utc(value: datetime) -> datetime: ...


@overload
def utc(value: None) -> None: ...


def utc(value: datetime | None) -> datetime | None:
    """`value` as an aware UTC datetime (a naive one is UTC already); None stays None,
    for nullable columns."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
