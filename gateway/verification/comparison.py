"""Comparing two GraphQL results as JSON: the first differing path (floats within a
tolerance), and the fields of a selection through its fragments. The comparison by
schema types that the shadow uses builds on these: gateway/verification/typed_comparison.py."""

from __future__ import annotations

import math
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)

Path = tuple[str | int, ...]


def first_difference(expected: Any, actual: Any, path: Path = ()) -> Path | None:
    """The path of the first value that differs, in response order; None when equal.

    Floats agree within 1e-9 (relative or absolute): the same mean computed by two SQL
    statements may round differently in the last bit.
    """
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in expected.keys() | actual.keys():
            if key not in expected or key not in actual:
                return (*path, key)
        for key in expected:
            found = first_difference(expected[key], actual[key], (*path, key))
            if found is not None:
                return found
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        for index, (a, b) in enumerate(zip(expected, actual, strict=False)):
            found = first_difference(a, b, (*path, index))
            if found is not None:
                return found
        return None if len(expected) == len(actual) else (*path, min(len(expected), len(actual)))
    if isinstance(expected, bool) or isinstance(actual, bool):
        # JSON true is not 1: compare booleans only with booleans.
        return None if type(expected) is type(actual) and expected == actual else path
    numbers = isinstance(expected, int | float) and isinstance(actual, int | float)
    if numbers and (isinstance(expected, float) or isinstance(actual, float)):
        same = math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-9)
        return None if same else path
    return None if expected == actual else path


def describe(path: Path) -> str:
    return ".".join(str(part) for part in path) or "(root)"


def fields_of(
    selection: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode]
) -> list[FieldNode]:
    """The fields of `selection`, through fragments, in no particular order (fields of one
    response key are the same field: validation merges them); each fragment entered once,
    so that a chain of fragments each spreading the next twice stays linear."""
    found: list[FieldNode] = []
    entered: set[str] = set()
    pending = list(selection.selections) if selection is not None else []
    while pending:
        node = pending.pop()
        if isinstance(node, FieldNode):
            found.append(node)
        elif isinstance(node, InlineFragmentNode):
            pending += node.selection_set.selections
        elif isinstance(node, FragmentSpreadNode) and node.name.value not in entered:
            entered.add(node.name.value)
            if node.name.value in fragments:
                pending += fragments[node.name.value].selection_set.selections
    return found
