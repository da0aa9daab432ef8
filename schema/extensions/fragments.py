"""A document's fragments in dependency order, so that every measure of a document (depth,
aliases, cost) walks each fragment once and looks up the ones it spreads.

A fragment spread twice by each of 22 fragments in a chain is 2^22 walks when each spread
is walked again, and 22 when each fragment's measure is kept: every limit check must be
linear in the size of the document, whatever its fragments do.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)


def spread_names(selection: SelectionSetNode | None) -> Iterator[str]:
    """The names of the fragments spread anywhere inside `selection` (not through them)."""
    stack = [selection]
    while stack:
        current = stack.pop()
        for node in current.selections if current is not None else ():
            if isinstance(node, FragmentSpreadNode):
                yield node.name.value
            elif isinstance(node, FieldNode | InlineFragmentNode):
                stack.append(node.selection_set)


def in_dependency_order(document: DocumentNode) -> list[FragmentDefinitionNode]:
    """The fragments of `document`, each after every fragment it spreads. Fragments on a
    cycle (and those that spread them) are left out: validation refuses such a document,
    and a measure that finds no entry for them counts them as empty."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    needs = {
        name: {n for n in spread_names(d.selection_set) if n in fragments}
        for name, d in fragments.items()
    }
    needed_by: dict[str, list[str]] = {name: [] for name in fragments}
    for name, spread in needs.items():
        for dependency in spread:
            needed_by[dependency].append(name)
    waiting = {name: len(spread) for name, spread in needs.items()}
    ready = [name for name, count in waiting.items() if count == 0]
    ordered: list[FragmentDefinitionNode] = []
    while ready:  # Kahn's algorithm: each fragment and each spread handled once
        name = ready.pop()
        ordered.append(fragments[name])
        for dependant in needed_by[name]:
            waiting[dependant] -= 1
            if waiting[dependant] == 0:
                ready.append(dependant)
    return ordered
