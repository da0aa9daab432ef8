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

from schema.ahead import Ahead, children, page_arguments, path, settle


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


async def test_each_outcome_is_kept_for_its_own_field() -> None:
    async def fine() -> int:
        return 1

    async def broken() -> int:
        raise LookupError("gone")

    first, second = await settle([fine(), broken()])
    assert first.get() == 1 and first.or_none() == 1
    assert second.or_none() is None
    with pytest.raises(LookupError, match="gone"):
        second.get()


def test_an_outcome_with_no_error_gives_its_value() -> None:
    assert Ahead("x").get() == "x"
