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

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    Undefined,
    value_from_ast_untyped,
)
from strawberry.types import Info

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


class Selections:
    """The query's selections, read from graphql-core's AST (not Strawberry's
    `selected_fields`, which copies a fragment's subtree at every spread: 18 fragments each
    spreading the next twice took seconds). A fragment is entered at most once per step,
    so a look-ahead is linear in the document however its fragments nest."""

    def __init__(
        self,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self._fragments = fragments
        self._variables = variables

    @classmethod
    def of(cls, info: Info) -> tuple[Selections, list[FieldNode]]:
        """The selections of a request, and the current field's nodes."""
        raw = info._raw_info  # graphql-core's info: the AST, fragments and variables
        # graphql-core 3.3 keeps the coerced values beside their sources; 3.2, alone.
        variables: Any = raw.variable_values
        selections = cls(raw.fragments, getattr(variables, "coerced", variables))
        return selections, [node for node in raw.field_nodes if not node.directives]

    def children(self, fields: Iterable[FieldNode], name: str) -> list[FieldNode]:
        """The fields called `name` right under `fields`, through fragments. A field or
        fragment under a directive (@skip, @include) is not looked into: it may not run."""
        found: list[FieldNode] = []
        kept: set[int] = set()  # ids of the nodes found (the AST compares deeply)
        entered: set[str] = set()
        pending = [s for f in fields if f.selection_set for s in f.selection_set.selections]
        while pending:
            selection = pending.pop()
            if selection.directives:
                continue
            if isinstance(selection, FieldNode):
                if selection.name.value == name and id(selection) not in kept:
                    kept.add(id(selection))
                    found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                pending += selection.selection_set.selections
            elif isinstance(selection, FragmentSpreadNode):
                spread = selection.name.value
                fragment = self._fragments.get(spread)
                if fragment is not None and spread not in entered:
                    entered.add(spread)
                    pending += fragment.selection_set.selections
        return found

    def path(self, fields: Iterable[FieldNode], *names: str) -> list[FieldNode]:
        """The fields reached from `fields` by following `names`, e.g. "edges", "node"."""
        current = list(fields)
        for name in names:
            current = self.children(current, name)
        return current

    def page_arguments(self, field: FieldNode, default_first: int) -> tuple[int, str | None] | None:
        """(`first`, `after`) of a connection field, literals or variables; None when
        they are not plain values (left to the field's own resolver)."""
        given = {
            argument.name.value: value_from_ast_untyped(argument.value, self._variables)
            for argument in field.arguments or ()
        }
        first: Any = given.get("first", default_first)
        after: Any = given.get("after")
        if first is Undefined:
            first = default_first
        if isinstance(first, bool) or not isinstance(first, int):
            return None
        if after is Undefined or after is None:
            return first, None
        return (first, after) if isinstance(after, str) else None
