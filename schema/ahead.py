"""Resolving a page's nested fields ahead, for the whole page at once.

A list resolver that knows its query asks, under every node, for `reviews` (and their
`author`) loads them for the whole page before returning, through the same router calls
the nested resolvers would make (so the same versions, metrics, batching and errors),
and hands each object its result. The nested resolvers then answer synchronously, and
graphql-core completes the page without an awaitable per field, which is most of the
cost of a page served from the cache. Anything it does not recognise (a directive, an
`after` cursor, an argument out of range) is left to the nested resolver as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

T = TypeVar("T")
U = TypeVar("U")


class Ahead(Generic[T]):
    """What a field resolved ahead of time returned, or the error it raised."""

    __slots__ = ("_error", "_value")

    def __init__(self, value: T | None = None, error: Exception | None = None) -> None:
        self._value = value
        self._error = error

    def get(self) -> T:
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]

    def then(self, convert: Callable[[T], U]) -> Ahead[U]:
        """`convert` applied to the value (an error it raises is kept as the outcome)."""
        if self._error is not None:
            return Ahead(error=self._error)
        try:
            return Ahead(convert(self._value))  # type: ignore[arg-type]
        except Exception as exc:
            return Ahead(error=exc)

    def or_none(self) -> T | None:
        return self._value if self._error is None else None


async def settle(call: Callable[[], Awaitable[Sequence[T]]], count: int) -> list[Ahead[T]]:
    """The outcome of a batched call for each of its `count` items: its value, or for
    every item the error the call raised (choosing the port included), which each nested
    field then raises where the field-by-field resolver would have."""
    try:
        values = await call()
        if len(values) != count:
            raise RuntimeError(f"a batch of {count} answered {len(values)} items")
    except Exception as exc:
        return [Ahead(error=exc)] * count
    return [Ahead(value) for value in values]


def children(selections: Iterable[Selection], name: str) -> list[SelectedField]:
    """The fields called `name` among `selections`, through fragments. A field or fragment
    under a directive (@skip, @include) is not looked into: it may not run."""
    found: list[SelectedField] = []
    for selection in selections:
        if selection.directives:
            continue
        if isinstance(selection, SelectedField):
            if selection.name == name:
                found.append(selection)
        elif isinstance(selection, FragmentSpread | InlineFragment):
            found += children(selection.selections, name)
    return found


def path(fields: Iterable[Selection], *names: str) -> list[SelectedField]:
    """The fields reached from `fields` by following `names`, e.g. "edges", "node"."""
    current = [f for f in fields if isinstance(f, SelectedField) and not f.directives]
    for name in names:
        current = [child for field in current for child in children(field.selections, name)]
    return current


def page_arguments(field: SelectedField, default_first: int) -> tuple[int, str | None] | None:
    """(`first`, `after`) of a connection field; literals arrive as text."""
    try:
        first: Any = field.arguments.get("first", default_first)
        after: Any = field.arguments.get("after")
        return int(first), None if after is None else str(after)
    except (TypeError, ValueError):
        return None
