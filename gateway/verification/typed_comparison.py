"""Comparing two results of one operation as the schema types them (issue 15, part 2).

Where the contract defines a value, v3 and v4 must agree on it; where it leaves it open,
they may differ. Declared here, once
(tests/unit/gateway/verification/test_typed_comparison.py has a test per declaration):

- `Float` fields agree within 1e-9, relative or absolute (one mean computed by two SQL
  statements may round differently in the last bit);
- `DateTime` fields agree when they are the same instant, whatever their spelling
  (`+00:00` or `Z`, with or without zero microseconds);
- the lists in UNORDERED hold the same items in any order: the contract orders the
  statistics' breakdowns by count, and says nothing of equal counts;
- the fields in UNCOMPARED are never compared: cursors are opaque (each version may encode
  its own), and a request id is never in `data` at all.

Anything the walk cannot type (an unknown field, an abstract type) is compared as JSON,
exactly (floats within the tolerance). Each differing field is reported (its first
difference, with its path and its schema field, e.g. `Restaurant.averageRating`), so that
a noisy field does not hide a real difference in another.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
)

from jewgo.gateway.verification.comparison import Path, fields_of, first_difference

UNORDERED = frozenset(
    {
        "Statistics.restaurantsByCategory",
        "Statistics.restaurantsByState",
        "Statistics.restaurantsByAgency",
    }
)
UNCOMPARED = frozenset(
    {
        "RestaurantEdge.cursor",
        "ReviewEdge.cursor",
        "UserEdge.cursor",
        "PageInfo.startCursor",
        "PageInfo.endCursor",
    }
)
# Whose values an example of a difference never shows: a user's email, and any text that
# looks like an address wherever it appears (an alias can name a field anything).
PRIVATE = frozenset({"User.email"})
_EMAIL = re.compile(r"[^\s@\"]+@[^\s@\"]+\.[^\s@\"]+")
REDACTED = "(redacted)"
TOLERANCE = 1e-9
MAX_FIELDS = 20  # differing fields reported of one comparison


@dataclass(frozen=True)
class Difference:
    path: Path
    field: str | None  # `Type.field` of the deepest field on the path, when typed


class TypedComparison:
    """One operation's results compared field by field along its selection."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, operation: str | None):
        self._fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        self._operation = next(
            (o for o in operations if operation is None or (o.name and o.name.value == operation)),
            None,
        )
        self._root = schema.query_type

    def first_difference(self, expected: Any, actual: Any) -> Difference | None:
        found = self.differences(expected, actual)
        return found[0] if found else None

    def differences(self, expected: Any, actual: Any) -> list[Difference]:
        """The first difference of each differing field (at most MAX_FIELDS fields), in
        response order: a noisy field does not hide a real difference behind it."""
        found: dict[str | None, Difference] = {}
        if self._operation is None or self._root is None:
            path = first_difference(expected, actual)
            return [] if path is None else [Difference(path, None)]
        selection = self._selection(self._operation)
        self._object(expected, actual, self._root, selection, (), found)
        return list(found.values())

    def _selection(self, node: OperationDefinitionNode | FieldNode) -> dict[str, FieldNode]:
        fields = fields_of(node.selection_set, self._fragments)
        return {(f.alias or f.name).value: f for f in fields}

    def _object(
        self,
        expected: Any,
        actual: Any,
        parent: GraphQLObjectType,
        selection: Mapping[str, FieldNode],
        path: Path,
        found: dict[str | None, Difference],
    ) -> None:
        if not (isinstance(expected, dict) and isinstance(actual, dict)):
            if expected != actual:
                _note(found, Difference(path, parent.name))
            return
        for key in sorted(expected.keys() | actual.keys()):
            if key not in expected or key not in actual:
                missing = selection.get(key)
                named = f"{parent.name}.{missing.name.value}" if missing is not None else None
                _note(found, Difference((*path, key), named))
        for key in [k for k in expected if k in actual]:  # in response order
            node = selection.get(key)
            definition = parent.fields.get(node.name.value) if node is not None else None
            if node is None or definition is None:  # __typename, or nothing to type by
                untyped = first_difference(expected[key], actual[key], (*path, key))
                if untyped is not None:
                    _note(found, Difference(untyped, None))
                continue
            name = f"{parent.name}.{node.name.value}"
            if name not in UNCOMPARED and len(found) < MAX_FIELDS:
                self._value(expected[key], actual[key], definition.type, node, name,
                            (*path, key), found)  # fmt: skip

    def _value(
        self,
        expected: Any,
        actual: Any,
        kind: GraphQLOutputType,
        node: FieldNode,
        name: str,
        path: Path,
        found: dict[str | None, Difference],
    ) -> None:
        if isinstance(kind, GraphQLNonNull):
            kind = kind.of_type
        if expected is None or actual is None:
            if expected is not actual:
                _note(found, Difference(path, name))
        elif isinstance(kind, GraphQLList):
            self._list(expected, actual, kind.of_type, node, name, path, found)
        elif isinstance(kind, GraphQLObjectType):
            self._object(expected, actual, kind, self._selection(node), path, found)
        elif isinstance(kind, GraphQLScalarType):
            if not _same_scalar(kind.name, expected, actual):
                _note(found, Difference(path, name))
        elif (untyped := first_difference(expected, actual, path)) is not None:
            _note(found, Difference(untyped, name))  # enums; abstract types

    def _list(
        self,
        expected: Any,
        actual: Any,
        item: GraphQLOutputType,
        node: FieldNode,
        name: str,
        path: Path,
        found: dict[str | None, Difference],
    ) -> None:
        if not (isinstance(expected, list) and isinstance(actual, list)):
            _note(found, Difference(path, name))
        elif name in UNORDERED:
            if _multiset(expected) != _multiset(actual):
                _note(found, Difference(path, name))
        else:
            for index, (a, b) in enumerate(zip(expected, actual, strict=False)):
                self._value(a, b, item, node, name, (*path, index), found)
            if len(expected) != len(actual):
                _note(found, Difference((*path, min(len(expected), len(actual))), name))


def without_ignored(
    differences: Sequence[Difference], ignored: Collection[str]
) -> list[Difference]:
    """The differences left once an admin's ignores are applied: a target is a schema field
    (`Restaurant.website`) or a path prefix (`restaurants.edges.node`, without indexes)."""
    if not ignored:
        return list(differences)

    def kept(difference: Difference) -> bool:
        if difference.field in ignored:
            return False
        dotted = ".".join(part for part in difference.path if isinstance(part, str))
        return not any(dotted == t or dotted.startswith(t + ".") for t in ignored)

    return [d for d in differences if kept(d)]


def shown(value: Any, field: str | None) -> Any:
    """A value as an example of a difference may show it: private fields' values and
    anything that looks like an email address redacted."""
    if field in PRIVATE:
        return REDACTED
    if isinstance(value, str):
        return _EMAIL.sub(REDACTED, value)
    if isinstance(value, dict):
        return {key: shown(item, None) for key, item in value.items()}
    if isinstance(value, list):
        return [shown(item, None) for item in value]
    return value


def _note(found: dict[str | None, Difference], difference: Difference) -> None:
    """The first difference of each field is kept; later ones of the same field are not."""
    if len(found) < MAX_FIELDS:
        found.setdefault(difference.field, difference)


def _same_scalar(scalar: str, expected: Any, actual: Any) -> bool:
    if scalar == "DateTime" and isinstance(expected, str) and isinstance(actual, str):
        try:
            return _instant(expected) == _instant(actual)
        except ValueError:
            return expected == actual
    if scalar == "Float" and _number(expected) and _number(actual):
        return math.isclose(expected, actual, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    return first_difference(expected, actual) is None


def _instant(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(text)  # a time without a zone is no instant: compared as text
    return parsed


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _multiset(items: list[Any]) -> list[str]:
    return sorted(json.dumps(item, sort_keys=True) for item in items)
