"""The shadow's comparison follows the schema: what the contract defines must agree, what
it leaves open may differ. One test per declaration of gateway/verification/typed_comparison.py."""

from __future__ import annotations

import time
from typing import Any

import pytest
from graphql import GraphQLList, GraphQLNonNull, get_nullable_type, parse

from jewgo.gateway.verification.typed_comparison import (
    UNCOMPARED,
    UNORDERED,
    Difference,
    TypedComparison,
)
from jewgo.schema import schema

SCHEMA = schema._schema


def compare(query: str, expected: Any, actual: Any, name: str | None = None) -> Difference | None:
    return TypedComparison(SCHEMA, parse(query), name).first_difference(expected, actual)


def field_type(name: str) -> Any:
    type_name, field = name.split(".")
    found = SCHEMA.get_type(type_name)
    assert found is not None and field in found.fields, name  # type: ignore[attr-defined]
    return found.fields[field].type  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(UNORDERED))
def test_each_unordered_list_is_a_list_of_the_schema(name: str) -> None:
    assert isinstance(get_nullable_type(field_type(name)), GraphQLList)


@pytest.mark.parametrize("name", sorted(UNCOMPARED))
def test_each_uncompared_field_is_a_field_of_the_schema(name: str) -> None:
    assert field_type(name) is not None


BREAKDOWN = "{ statistics { restaurantsByState { state count } } }"


def test_a_breakdown_with_equal_counts_agrees_in_any_order() -> None:
    def breakdown(*counts: tuple[str, int]) -> dict[str, Any]:
        rows = [{"state": state, "count": count} for state, count in counts]
        return {"statistics": {"restaurantsByState": rows}}

    one = breakdown(("NY", 2), ("NJ", 2))
    assert compare(BREAKDOWN, one, breakdown(("NJ", 2), ("NY", 2))) is None
    changed = breakdown(("NY", 3), ("NJ", 2))
    assert compare(BREAKDOWN, one, changed) == Difference(
        ("statistics", "restaurantsByState"), "Statistics.restaurantsByState"
    )


def test_an_ordered_list_must_keep_its_order() -> None:
    query = "{ restaurants { edges { node { name } } } }"
    a = {"restaurants": {"edges": [{"node": {"name": "A"}}, {"node": {"name": "B"}}]}}
    b = {"restaurants": {"edges": [{"node": {"name": "B"}}, {"node": {"name": "A"}}]}}
    assert compare(query, a, b) == Difference(
        ("restaurants", "edges", 0, "node", "name"), "Restaurant.name"
    )


@pytest.mark.parametrize("field", ["cursor", "pageInfo"])
def test_cursors_are_never_compared(field: str) -> None:
    query = "{ restaurants { edges { cursor } pageInfo { startCursor endCursor hasNextPage } } }"

    def page(cursor: str, more: bool = True) -> dict[str, Any]:
        info = {"startCursor": cursor, "endCursor": cursor * 2, "hasNextPage": more}
        return {"restaurants": {"edges": [{"cursor": cursor}], "pageInfo": info}}

    a, b = page("v3-a"), page("v4-a")
    assert compare(query, a, b) is None
    b = page("v4-a", more=False)
    assert compare(query, a, b) == Difference(
        ("restaurants", "pageInfo", "hasNextPage"), "PageInfo.hasNextPage"
    )


@pytest.mark.parametrize(
    ("v3", "v4", "same"),
    [
        ("2025-05-03T15:24:55+00:00", "2025-05-03T15:24:55Z", True),
        ("2025-05-03T15:24:55+00:00", "2025-05-03T17:24:55+02:00", True),
        ("2025-05-03T15:24:55.000000+00:00", "2025-05-03T15:24:55+00:00", True),
        ("2025-05-03T15:24:55+00:00", "2025-05-03T15:24:56+00:00", False),
        ("2025-05-03T15:24:55", "2025-05-03T15:24:55+00:00", False),  # no zone: as text
    ],
)
def test_times_agree_when_they_are_the_same_instant(v3: str, v4: str, same: bool) -> None:
    query = '{ restaurant(id: "1") { createdAt } }'
    found = compare(query, {"restaurant": {"createdAt": v3}}, {"restaurant": {"createdAt": v4}})
    assert (found is None) is same


@pytest.mark.parametrize(("v4", "same"), [(4.333333333333333, True), (4.3333334, False)])
def test_floats_agree_within_the_tolerance(v4: float, same: bool) -> None:
    query = '{ restaurant(id: "1") { averageRating } }'
    found = compare(query, {"restaurant": {"averageRating": 13 / 3}},
                    {"restaurant": {"averageRating": v4}})  # fmt: skip
    assert (found is None) is same


def test_a_difference_names_its_field_through_aliases_and_fragments() -> None:
    query = """query Page { list: restaurants { edges { node { ...Parts
                 reviews { edges { node { writer: author { name } } } } } } } }
               fragment Parts on Restaurant { score: averageRating }"""

    def page(score: float, writer: str) -> dict[str, Any]:
        review = {"node": {"writer": {"name": writer}}}
        return {"list": {"edges": [{"node": {"score": score, "reviews": {"edges": [review]}}}]}}

    assert compare(query, page(4.0, "Dov"), page(4.5, "Dov"), "Page") == Difference(
        ("list", "edges", 0, "node", "score"), "Restaurant.averageRating"
    )
    assert compare(query, page(4.0, "Dov"), page(4.0, "Avi")) == Difference(
        ("list", "edges", 0, "node", "reviews", "edges", 0, "node", "writer", "name"),
        "PublicUser.name",
    )


def test_a_missing_key_and_a_null_are_differences_of_their_field() -> None:
    query = '{ restaurant(id: "1") { website name } }'
    assert compare(query, {"restaurant": {"website": None, "name": "A"}},
                   {"restaurant": {"name": "A"}}) == Difference(
        ("restaurant", "website"), "Restaurant.website")  # fmt: skip
    assert compare(query, {"restaurant": None}, {"restaurant": {"website": None, "name": "A"}})


def test_a_chain_of_fragments_is_compared_in_linear_time() -> None:
    chain = " ".join(
        f"fragment F{i} on Restaurant {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40)
    )
    query = (
        "{ restaurants { edges { node { ...F0 } } } } "
        + chain
        + " fragment F40 on Restaurant { id }"
    )
    started = time.perf_counter()
    page = {"restaurants": {"edges": [{"node": {"id": str(n)}} for n in range(20)]}}
    assert compare(query, page, page) is None
    assert time.perf_counter() - started < 0.5


def test_non_null_wrappers_are_seen_through() -> None:
    assert isinstance(field_type("Restaurant.name"), GraphQLNonNull)
    query = '{ restaurant(id: "1") { name } }'
    assert compare(query, {"restaurant": {"name": "A"}}, {"restaurant": {"name": "B"}}) == (
        Difference(("restaurant", "name"), "Restaurant.name")
    )


def test_ignores_drop_a_field_or_everything_under_a_path() -> None:
    from jewgo.gateway.verification.typed_comparison import without_ignored

    website = Difference(("restaurants", "edges", 0, "node", "website"), "Restaurant.website")
    rating = Difference(("restaurants", "edges", 1, "node", "rating"), "Restaurant.averageRating")
    both = [website, rating]
    assert without_ignored(both, {}) == both
    assert without_ignored(both, {"Restaurant.website"}) == [rating]
    assert without_ignored(both, {"restaurants.edges.node.rating"}) == [website]
    assert without_ignored(both, {"restaurants"}) == []
    assert without_ignored(both, {"restaurants.edge"}) == both  # a prefix of whole names


@pytest.mark.parametrize(
    ("value", "field", "expected"),
    [
        ("dov@example.com", "User.email", "(redacted)"),
        (None, "User.email", "(redacted)"),  # even its absence is not shown
        ({"name": "Dov", "mail": "dov@example.com"}, "Review.author",
         {"name": "Dov", "mail": "(redacted)"}),
        (["a@b.co", 3], None, ["(redacted)", 3]),
        ("Shalom Grill", "Restaurant.name", "Shalom Grill"),
    ],
)  # fmt: skip
def test_examples_never_show_private_values(value: Any, field: str | None, expected: Any) -> None:
    from jewgo.gateway.verification.typed_comparison import PRIVATE, shown

    assert "User.email" in PRIVATE and field_type("User.email") is not None
    assert shown(value, field) == expected
