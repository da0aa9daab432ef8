"""Opaque Relay cursors over keyset pagination, the same bytes from v3 and v4.

A cursor is url-safe base64 of JSON `[kind, list, *sort key]`: kind names the ordering
(`NAME`, `RATING`, `NEWEST`, `DISTANCE` for restaurants, `REVIEWS`, `USERS`) and list is
a digest of the list it came from (its filter, or the restaurant whose reviews it
pages), so a cursor is refused anywhere else. Each list is ordered by its sort key and
then by id, so the ordering is total and stable under inserts: the page after a cursor
starts right after that row, wherever it now stands.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from jewgo.resolvers.domain import Page, PageArgs, Restaurant, RestaurantOrder
from jewgo.resolvers.errors import InvalidInput
from jewgo.resolvers.validation import storable

T = TypeVar("T")
MAX_PAGE_SIZE = 100
# A cursor of the longest sort key (a 500-character name, each character escaped) is
# shorter than this; a longer one is refused before it is decoded.
MAX_CURSOR_LENGTH = 10_000
MAX_KEY_TEXT = 1_000  # characters of a text sort key (names and emails are shorter)
MAX_ID = 2**31 - 1  # the id columns are 32-bit
MAX_KEY_NUMBER = 1e7  # ratings are 0 to 5, distances at most half the globe in km

# The Python types of each kind's sort key, checked when a cursor comes back.
KEY_TYPES: dict[str, tuple[type, ...]] = {
    "NAME": (str, int),
    "RATING": (float, int),
    "NEWEST": (datetime, int),
    "DISTANCE": (float, int),
    "REVIEWS": (datetime, int),
    "USERS": (str, int),
}


def page_args(first: int, after: str | None, *, max_size: int = MAX_PAGE_SIZE) -> PageArgs:
    if first < 0 or first > max_size:
        raise InvalidInput(
            f"`first` must be between 0 and {max_size}", {"first": f"must be 0 to {max_size}"}
        )
    return PageArgs(first=first, after=after)


def list_of(*identity: object) -> str:
    """A short, stable name of a list: its filter (a frozen dataclass) or its parent."""
    return hashlib.blake2b(repr(identity).encode(), digest_size=6).hexdigest()


def encode(kind: str, key: Sequence[Any], scope: str = "") -> str:
    values = [v.isoformat() if isinstance(v, datetime) else v for v in key]
    raw = json.dumps([kind, scope, *values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str, kind: str, scope: str = "") -> tuple[Any, ...]:
    """The sort key inside `cursor`; BAD_USER_INPUT unless it is a cursor of this list."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(data, list) or data[0] != kind or data[1] != scope:
            raise ValueError(kind)
        values = data[2:]
        types = KEY_TYPES[kind]
        if len(values) != len(types):
            raise ValueError(values)
        return tuple(_coerce(value, typ) for value, typ in zip(values, types, strict=True))
    except (
        ValueError, TypeError, IndexError, OverflowError, RecursionError, binascii.Error
    ) as exc:  # fmt: skip
        raise InvalidInput(
            "`after` is not a cursor of this list", {"after": "unknown cursor"}
        ) from exc


def _coerce(value: Any, typ: type) -> Any:
    """A sort key's value as the databases can compare it, or ValueError/TypeError: the
    types of its kind, and values within what any row can hold (the last key is an id)."""
    if typ is datetime:
        if not isinstance(value, str):
            raise TypeError(value)
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError(value)
        return parsed.astimezone(UTC)  # OverflowError past the calendar's ends
    if typ is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)  # OverflowError past a double's range
    if type(value) is not typ:
        raise TypeError(value)
    if isinstance(value, float) and not (math.isfinite(value) and abs(value) <= MAX_KEY_NUMBER):
        raise ValueError(value)
    if isinstance(value, int) and not 0 <= value <= MAX_ID:
        raise ValueError(value)
    if isinstance(value, str) and (len(value) > MAX_KEY_TEXT or not storable(value)):
        raise ValueError(value)
    return value


def build_page(
    rows: Sequence[T],
    first: int,
    kind: str,
    key: Callable[[T], Sequence[Any]],
    total: Callable[[], Any],
    scope: str = "",
) -> Page[T]:
    """A page from up to `first + 1` rows fetched in order (the extra one means "more")."""
    return Page(
        items=tuple(rows[:first]),
        has_next=len(rows) > first,
        cursor=lambda item: encode(kind, key(item), scope),
        total=total,
    )


def restaurant_key(restaurant: Restaurant, order: RestaurantOrder) -> tuple[Any, ...]:
    """The sort key of a restaurant in `order`, as its cursor carries it."""
    if order is RestaurantOrder.NAME:
        return (restaurant.name, restaurant.id)
    if order is RestaurantOrder.RATING:
        rating = restaurant.average_rating
        return (rating if rating is not None else -1.0, restaurant.id)
    if order is RestaurantOrder.NEWEST:
        return (restaurant.created_at, restaurant.id)
    return (restaurant.distance_km, restaurant.id)
