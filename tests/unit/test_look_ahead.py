"""The look-ahead helpers: which nested fields a query surely asks for, and outcomes kept
per call so that each nested field later returns, or raises, its own."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry.types.nodes import (
    Directives,
    FragmentSpread,
    InlineFragment,
    SelectedField,
    Selection,
)

from jewgo.schema.ahead import Ahead, children, page_arguments, path, settle


def field(
    name: str, *selections: Selection, directives: Directives | None = None, **arguments: Any
) -> SelectedField:
    return SelectedField(
        name=name, directives=directives or {}, arguments=dict(arguments),
        selections=list(selections), alias=None,
    )  # fmt: skip


def test_fields_are_found_through_fragments() -> None:
    reviews = field("reviews", first="3")
    spread = FragmentSpread(
        name="F", type_condition="Restaurant", directives={}, selections=[reviews]
    )
    inline = InlineFragment(type_condition="Restaurant", directives={}, selections=[spread])
    assert children([field("id"), inline], "reviews") == [reviews]


def test_nothing_under_a_directive_is_looked_into() -> None:
    skipped = field("reviews", directives={"skip": {"if": True}})
    hidden = InlineFragment(
        type_condition=None, directives={"include": {"if": False}}, selections=[field("reviews")]
    )
    assert children([skipped, hidden], "reviews") == []


def test_a_path_follows_every_branch() -> None:
    node = field("node", field("reviews", first="1"))
    page = field("restaurants", field("edges", node), field("edges", node))
    assert len(path([page], "edges", "node", "reviews")) == 2


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [({}, (10, None)), ({"first": "3"}, (3, None)), ({"first": 5, "after": "abc"}, (5, "abc")),
     ({"first": "many"}, None)],
)  # fmt: skip
def test_page_arguments_arrive_as_literals_or_variables(
    arguments: dict[str, Any], expected: tuple[int, str | None] | None
) -> None:
    assert page_arguments(field("reviews", **arguments), 10) == expected


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
