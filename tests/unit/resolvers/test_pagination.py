"""Cursors: opaque, round-tripping, and refused when foreign or forged."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from jewgo.resolvers import pagination
from jewgo.resolvers.domain import PageArgs
from jewgo.resolvers.errors import InvalidInput
from jewgo.schema.extensions.errors import code_for


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("NAME", ("Shalom Grill", 7)),
        ("RATING", (4.333333333333333, 12)),
        ("RATING", (-1.0, 3)),
        ("NEWEST", (datetime(2025, 5, 3, 15, 24, 55, 123456, tzinfo=UTC), 99)),
        ("DISTANCE", (0.1 + 0.2, 1)),
        ("USERS", ("Ünïcode Näme", 2)),
    ],
)
def test_a_cursor_gives_back_its_key_exactly(kind: str, key: tuple[Any, ...]) -> None:
    cursor = pagination.encode(kind, key)
    assert "=" not in cursor and "/" not in cursor and "+" not in cursor
    assert pagination.decode(cursor, kind) == key


def _raw(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("cursor", "kind"),
    [
        ("", "NAME"),
        ("!!!", "NAME"),
        ("bm90IGpzb24", "NAME"),  # "not json"
        (pagination.encode("NEWEST", (datetime(2025, 1, 1, tzinfo=UTC), 1)), "NAME"),
        (pagination.encode("NAME", ("x",)), "NAME"),  # too short
        (pagination.encode("NAME", (5, 1)), "NAME"),  # wrong type
        (pagination.encode("NAME", ("x", True)), "NAME"),
        (pagination.encode("NAME", ("x", 2**70)), "NAME"),
        (pagination.encode("REVIEWS", ("2025-01-01T00:00:00", 1)), "REVIEWS"),  # naive
        (pagination.encode("REVIEWS", ("yesterday", 1)), "REVIEWS"),
        # Values no row can hold, which the databases would fail on (issue 10).
        (pagination.encode("NAME", ("x", 2**31)), "NAME"),
        (pagination.encode("NAME", ("x", -1)), "NAME"),
        (pagination.encode("NAME", ("a\x00b", 1)), "NAME"),
        (pagination.encode("NAME", ("\ud800", 1)), "NAME"),
        (pagination.encode("NAME", ("x" * 1001, 1)), "NAME"),
        (pagination.encode("RATING", (10**400, 1)), "RATING"),
        (pagination.encode("RATING", (1e300, 1)), "RATING"),
        (_raw('["RATING","",1e999,1]'), "RATING"),
        (_raw('["RATING","",NaN,1]'), "RATING"),
        (pagination.encode("NEWEST", ("9999-12-31T23:59:59-14:00", 1)), "NEWEST"),
        (pagination.encode("NEWEST", ("0001-01-01T00:00:00+14:00", 1)), "NEWEST"),
        (_raw("[" * 2000), "NAME"),
        ("A" * (pagination.MAX_CURSOR_LENGTH + 1), "NAME"),
    ],
)
def test_a_foreign_or_forged_cursor_is_bad_input(cursor: str, kind: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        pagination.decode(cursor, kind)
    assert code_for(type(caught.value)) == "BAD_USER_INPUT"


def test_a_time_in_any_zone_comes_back_in_utc() -> None:
    east = datetime(2025, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=2)))
    key = pagination.decode(pagination.encode("NEWEST", (east, 4)), "NEWEST")
    assert key == (datetime(2025, 1, 1, 0, 0, tzinfo=UTC), 4)
    assert key[0].tzinfo is UTC


@pytest.mark.parametrize(("first", "ok"), [(-1, False), (0, True), (100, True), (101, False)])
def test_page_size_is_bounded(first: int, ok: bool) -> None:
    if ok:
        assert pagination.page_args(first, None) == PageArgs(first=first)
    else:
        with pytest.raises(InvalidInput):
            pagination.page_args(first, None)


async def test_a_page_keeps_first_rows_and_knows_there_are_more() -> None:
    async def total() -> int:
        return 42

    page = pagination.build_page([1, 2, 3], 2, "USERS", lambda n: (str(n), n), total)
    assert page.items == (1, 2)
    assert page.has_next is True
    assert page.end_cursor == pagination.encode("USERS", ("2", 2))
    assert await page.total() == 42
    last = pagination.build_page([1], 2, "USERS", lambda n: (str(n), n), total)
    assert last.has_next is False
