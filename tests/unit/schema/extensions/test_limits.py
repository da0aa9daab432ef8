"""The shape limits (depth, aliases) of a document: fragments followed and expanded, and
every measure linear in the document, whatever its fragments spread."""

from __future__ import annotations

import pytest
from graphql import parse

from jewgo.schema.extensions.fragments import in_dependency_order
from jewgo.schema.extensions.limits import measure


def chain(links: int, leaf: str = "id") -> str:
    """`links` fragments, each spreading the next twice: 2^links leaves once expanded."""
    parts = ['query { review(id: "1") { ...F0 } }']
    for n in range(links):
        inner = f"...F{n + 1} ...F{n + 1}" if n + 1 < links else leaf
        parts.append(f"fragment F{n} on Review {{ id {inner} }}")
    return "\n".join(parts)


def spread_often(aliases: int, spreads: int) -> str:
    """A fragment of `aliases` aliased fields, spread `spreads` times (through aliases of a
    field, so the spreads are distinct fields)."""
    fragment = " ".join(f"a{n}: reviews(first: 1) {{ totalCount }}" for n in range(aliases))
    fields = " ".join(f'r{n}: restaurant(id: "{n + 1}") {{ ...A }}' for n in range(spreads))
    return f"{{ {fields} }}\nfragment A on Restaurant {{ {fragment} }}"


def selections(query: str) -> int:
    """Selections written in the document (each fragment counted once)."""
    return query.count("...") + sum(
        word.isidentifier() for word in query.replace("{", " ").replace("}", " ").split()
    )


@pytest.mark.parametrize(
    ("query", "depth", "aliases"),
    [
        ("{ statistics { totalUsers } }", 2, 0),
        ("{ a: statistics { b: totalUsers } }", 2, 2),
        ("{ restaurants { edges { node { reviews { totalCount } } } } }", 5, 0),
        # Fragments and inline fragments add no depth of their own.
        ("{ review(id: 1) { ...R } } fragment R on Review { restaurant { id } }", 3, 0),
        ("{ review(id: 1) { ... on Review { x: id } } }", 2, 1),
        # Introspection's own nesting is not counted; its aliases are.
        ("{ __schema { types { fields { n: name } } } }", 0, 1),
        # A fragment's aliases count once for every time it is spread.
        ("{ a: review(id: 1) { ...R } b: review(id: 2) { ...R } } "
         "fragment R on Review { x: id y: rating }", 2, 6),
        # Aliases of every operation in the document, the depth of the deepest.
        ("query A { x: statistics { totalUsers } } query B { y: me { z: id } }", 2, 3),
        # Unknown fragments and cycles measure empty (validation refuses them).
        ("{ review(id: 1) { ...Missing } }", 1, 0),
        ("{ review(id: 1) { ...C } } fragment C on Review { id ...D } "
         "fragment D on Review { x: id ...C }", 1, 0),
    ],
)  # fmt: skip
def test_depth_and_aliases_follow_fragments(query: str, depth: int, aliases: int) -> None:
    found = measure(parse(query))
    assert (found.depth, found.aliases) == (depth, aliases)


@pytest.mark.parametrize("links", [4, 12, 22, 60])
def test_a_chain_of_fragments_is_measured_in_one_walk(links: int) -> None:
    query = chain(links)
    found = measure(parse(query))
    assert found.depth == 2
    # Linear: each written selection looked at once, not once per expanded path (2^links).
    assert found.visited <= selections(query)


def test_the_aliases_of_a_fragment_count_once_per_spread_as_expanded() -> None:
    found = measure(parse(spread_often(aliases=30, spreads=100)))
    assert found.aliases == 100 + 30 * 100
    doubled = measure(parse(chain(22, leaf="x: id")))
    assert doubled.aliases == 2**21


def test_fragments_come_after_those_they_spread() -> None:
    document = parse(
        "{ review(id: 1) { ...A } } fragment A on Review { ...B ...C } "
        "fragment B on Review { ...C } fragment C on Review { id }"
    )
    assert [f.name.value for f in in_dependency_order(document)] == ["C", "B", "A"]
