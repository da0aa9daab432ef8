"""Comparing two results of one operation as the schema types them (issue 15, part 2).

Where the contract defines a value, v3 and v4 must agree on it; where it leaves it open,
they may differ. Declared here, once (tests/unit/test_typed_comparison.py has a test per
declaration):

- `Float` fields agree within 1e-9, relative or absolute (one mean computed by two SQL
  statements may round differently in the last bit);
- `DateTime` fields agree when they are the same instant, whatever their spelling
  (`+00:00` or `Z`, with or without zero microseconds);
- the lists in UNORDERED hold the same items in any order: the contract orders the
  statistics' breakdowns by count, and says nothing of equal counts;
- the fields in UNCOMPARED are never compared: cursors are opaque (each version may encode
  its own), and a request id is never in `data` at all.

Anything the walk cannot type (an unknown field, an abstract type) is compared as JSON,
exactly (floats within the tolerance). The first difference found is reported with its
path and its schema field (`Restaurant.averageRating`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
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

from jewgo.gateway.comparison import Path, fields_of, first_difference

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
TOLERANCE = 1e-9


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
        if self._operation is None or self._root is None:
            found = first_difference(expected, actual)
            return None if found is None else Difference(found, None)
        return self._object(expected, actual, self._root, self._selection(self._operation), ())

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
    ) -> Difference | None:
        if not (isinstance(expected, dict) and isinstance(actual, dict)):
            return None if expected == actual else Difference(path, parent.name)
        for key in sorted(expected.keys() | actual.keys()):
            if key not in expected or key not in actual:
                missing = selection.get(key)
                named = f"{parent.name}.{missing.name.value}" if missing is not None else None
                return Difference((*path, key), named)
        for key in expected:
            node = selection.get(key)
            definition = parent.fields.get(node.name.value) if node is not None else None
            if node is None or definition is None:  # __typename, or nothing to type by
                found = first_difference(expected[key], actual[key], (*path, key))
                if found is not None:
                    return Difference(found, None)
                continue
            name = f"{parent.name}.{node.name.value}"
            if name in UNCOMPARED:
                continue
            found_typed = self._value(
                expected[key], actual[key], definition.type, node, name, (*path, key)
            )
            if found_typed is not None:
                return found_typed
        return None

    def _value(
        self,
        expected: Any,
        actual: Any,
        kind: GraphQLOutputType,
        node: FieldNode,
        name: str,
        path: Path,
    ) -> Difference | None:
        if isinstance(kind, GraphQLNonNull):
            kind = kind.of_type
        if expected is None or actual is None:
            return None if expected is actual else Difference(path, name)
        if isinstance(kind, GraphQLList):
            return self._list(expected, actual, kind.of_type, node, name, path)
        if isinstance(kind, GraphQLObjectType):
            return self._object(expected, actual, kind, self._selection(node), path)
        if isinstance(kind, GraphQLScalarType):
            return None if _same_scalar(kind.name, expected, actual) else Difference(path, name)
        untyped = first_difference(expected, actual, path)  # enums; abstract types
        return None if untyped is None else Difference(untyped, name)

    def _list(
        self,
        expected: Any,
        actual: Any,
        item: GraphQLOutputType,
        node: FieldNode,
        name: str,
        path: Path,
    ) -> Difference | None:
        if not (isinstance(expected, list) and isinstance(actual, list)):
            return Difference(path, name)
        if name in UNORDERED:
            return None if _multiset(expected) == _multiset(actual) else Difference(path, name)
        for index, (a, b) in enumerate(zip(expected, actual, strict=False)):
            found = self._value(a, b, item, node, name, (*path, index))
            if found is not None:
                return found
        if len(expected) != len(actual):
            return Difference((*path, min(len(expected), len(actual))), name)
        return None


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
