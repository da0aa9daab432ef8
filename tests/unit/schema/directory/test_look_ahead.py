"""The look-ahead helpers: which nested fields a query surely asks for, and outcomes kept
per call so that each nested field later returns, or raises, its own."""

from __future__ import annotations

import time
from typing import Any

import pytest
from graphql import FieldNode, FragmentDefinitionNode, OperationDefinitionNode, parse

from jewgo.schema.directory.ahead import Ahead, Selections, settle


def read(query: str, **variables: Any) -> tuple[Selections, list[FieldNode]]:
    """The look-ahead's view of `query`: its selections, and its first top-level field."""
    document = parse(query)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    top = operation.selection_set.selections[0]
    assert isinstance(top, FieldNode)
    return Selections(fragments, variables), [top]


def names(fields: list[FieldNode]) -> list[str]:
    return [f.name.value for f in fields]


def test_fields_are_found_through_fragments() -> None:
    selections, top = read("""{ restaurant(id: 1) { id ... on Restaurant { ...F } } }
        fragment F on Restaurant { reviews(first: 3) { totalCount } }""")
    assert names(selections.children(top, "reviews")) == ["reviews"]


def test_nothing_under_a_directive_is_looked_into() -> None:
    selections, top = read("""{ restaurant(id: 1) { reviews @skip(if: true) { totalCount }
        ... @include(if: false) { reviews { totalCount } } } }""")
    assert selections.children(top, "reviews") == []


def test_a_path_follows_every_branch() -> None:
    selections, top = read("""{ restaurants { edges { node { reviews(first: 1) { totalCount } } }
        more: edges { node { reviews(first: 1) { totalCount } } } } }""")
    assert len(selections.path(top, "edges", "node", "reviews")) == 2


def test_fragments_spread_twice_at_every_level_are_read_in_linear_time() -> None:
    # Strawberry's selected_fields copies each spread: 2**40 copies here.
    chain = " ".join(
        f"fragment F{i} on Restaurant {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40)
    )
    selections, top = read(
        "{ restaurants { edges { node { ...F0 } } } } " + chain
        + " fragment F40 on Restaurant { reviews(first: 2) { totalCount } }"
    )  # fmt: skip
    started = time.perf_counter()
    assert names(selections.path(top, "edges", "node", "reviews")) == ["reviews"]
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [("", (10, None)), ("(first: 3)", (3, None)), ('(first: 5, after: "abc")', (5, "abc")),
     ("(first: $n, after: $a)", (7, "xyz")), ("(first: $missing)", (10, None)),
     ('(first: "many")', None), ("(first: 2, after: 5)", None)],
)  # fmt: skip
def test_page_arguments_arrive_as_literals_or_variables(
    arguments: str, expected: tuple[int, str | None] | None
) -> None:
    query = "{ restaurant(id: 1) { reviews" + arguments + " { totalCount } } }"
    selections, top = read(query, n=7, a="xyz")
    (reviews,) = selections.children(top, "reviews")
    assert selections.page_arguments(reviews, 10) == expected


async def test_a_batch_gives_each_item_its_value() -> None:
    async def fine() -> list[int]:
        return [1, 2]

    first, second = await settle(fine, 2)
    assert (first.get(), second.or_none()) == (1, 2)


async def test_a_failed_batch_fails_each_item_with_its_error() -> None:
    async def broken() -> list[int]:
        raise LookupError("gone")

    outcomes = await settle(broken, 2)
    assert [outcome.or_none() for outcome in outcomes] == [None, None]
    for outcome in outcomes:
        with pytest.raises(LookupError, match="gone"):
            outcome.get()


async def test_a_batch_of_the_wrong_length_is_an_error_for_each_item() -> None:
    async def short() -> list[int]:
        return [1]

    outcomes = await settle(short, 2)
    assert [outcome.or_none() for outcome in outcomes] == [None, None]


def test_a_conversion_that_raises_becomes_the_outcome() -> None:
    def missing(value: int | None) -> int:
        if value is None:
            raise KeyError("no such author")
        return value

    assert Ahead(3).then(missing).get() == 3
    with pytest.raises(KeyError):
        Ahead(None).then(missing).get()
    with pytest.raises(LookupError):
        Ahead[int](error=LookupError()).then(missing).get()
