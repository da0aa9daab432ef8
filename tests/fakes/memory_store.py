"""The rows the in-memory fakes of v4 keep, and the text matching they share.

The fakes keep the SQL adapters' semantics (the contract tests run both): names order
by code point, as PostgreSQL's C collation and SQLite's BINARY do, and case folding is
ASCII-only, as `lower()` is in both databases.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]


def fold(text: str | None) -> str | None:
    return (
        None if text is None else "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)
    )


def contains(haystack: str | None, needle: str) -> bool:
    folded = fold(haystack)
    return folded is not None and fold(needle) in folded  # type: ignore[operator]


@dataclass
class Store:
    users: dict[int, Row] = field(default_factory=dict)
    restaurants: dict[int, Row] = field(default_factory=dict)
    reviews: dict[int, Row] = field(default_factory=dict)

    def next_id(self, table: dict[int, Row]) -> int:
        return max(table, default=0) + 1

    @classmethod
    def of(cls, users: Iterable[Row], restaurants: Iterable[Row], reviews: Iterable[Row]) -> Store:
        return cls(
            users={u["id"]: dict(u) for u in users},
            restaurants={r["id"]: dict(r) for r in restaurants},
            reviews={v["id"]: dict(v) for v in reviews},
        )
