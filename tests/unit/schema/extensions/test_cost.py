"""The static cost estimate: objects 1 each, scalars 0 unless they run a statement of
their own, lists multiplied by `first` (or the field's default, or MAX_PAGE_SIZE for a
variable without a value), fragments expanded, directives ignored; linear in the
document however its fragments spread."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLObjectType, parse

from jewgo.gateway.settings import Settings
from jewgo.schema import schema
from jewgo.schema.extensions.cost import CEILING, OWN_STATEMENT, CostModel

MODEL = CostModel(schema._schema, max_page_size=100)

ATTACK = (
    "{ restaurants(first: 100) { edges { node { id reviews(first: 100) { edges { node {"
    " id restaurant { ...A } } } } } } } }\nfragment A on Restaurant { "
    + " ".join(f"a{n}: reviews(first: 100) {{ totalCount }}" for n in range(30))
    + " }"
)
PAGE = "query($n: Int) { restaurants(first: $n) { edges { node { id } } } }"


def cost(query: str, variables: dict[str, Any] | None = None, name: str | None = None) -> int:
    return MODEL.estimate(parse(query), name, variables).cost


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # An object is 1, its scalars 0; a list without `first` counts 10 items.
        ("{ statistics { totalUsers averageRating } }", 1),
        ("{ statistics { restaurantsByState { state count } } }", 1 + 10),
        # A connection is 1, totalCount runs a statement (1), each edge and node 1.
        ("{ restaurants { totalCount } }", 2),
        ("{ restaurants { edges { node { id } } } }", 1 + 20 * 2),
        ("{ users { totalCount edges { node { id } } } }", 2 + 20 * 2),
        ("{ restaurants(first: 5) { pageInfo { hasNextPage } edges { cursor node { name } } } }",
         2 + 5 * 2),
        # Restaurant.reviews pages 10 by default; lists multiply through nesting.
        ("{ restaurant(id: 1) { reviews { edges { node { author { name } } } } } }",
         1 + 1 + 10 * 3),
        ("{ reviews(first: 4) { edges { node { restaurant { reviews(first: 2) { totalCount } } }"
         " } } }", 1 + 4 * (2 + 3)),
        ("{ flag(name: \"x\") { decisionFor history { at } userOverrides { userId } } }",
         1 + 1 + 20 + 10),
        # `first` past MAX_PAGE_SIZE is refused anyway: it counts as MAX_PAGE_SIZE.
        ("{ restaurants(first: 1000) { edges { node { id } } } }", 1 + 100 * 2),
        ("{ restaurants(first: -5) { edges { node { id } } } }", 1),
        # Directives are ignored: a static upper bound.
        ("{ restaurants(first: 2) @skip(if: true) { edges { node { id } } } }", 1 + 2 * 2),
        # Fragments are expanded, and a connection's fragment sized where it is spread.
        ("{ a: restaurants(first: 3) { ...C } b: restaurants(first: 5) { ...C } }"
         " fragment C on RestaurantConnection { edges { node { id } } }", 7 + 11),
        ("{ review(id: 1) { ... on Review { restaurant { id } } } }", 2),
        # Spread twice in one selection, a fragment merges: it is counted once there.
        ("{ review(id: 1) { ...R ...R } } fragment R on Review { restaurant { id } }", 2),
        ("{ review(id: 1) { ...R a: restaurant { ...S } } } fragment R on Review"
         " { restaurant { ...S ...S } }"
         " fragment S on Restaurant { reviews(first: 2) { totalCount } }",
         1 + 2 * (1 + 2)),
        # Each mutation field adds 10.
        ("mutation { deleteRestaurant(id: 1) }", 10),
        ("mutation { a: deleteReview(id: 1) b: moderateReview(id: 2, status: APPROVED) { id } }",
         10 + 11),
        # Introspection: 1 a field, whatever it selects; unknown fields nothing.
        ("{ __schema { types { fields { name } } } }", 1),
        ("{ __typename }", 0),
        ("{ nope { id } }", 0),
        (ATTACK, 1 + 100 * (2 + 1 + 100 * (3 + 30 * 2))),
    ],
)  # fmt: skip
def test_the_cost_of_a_query(query: str, expected: int) -> None:
    assert cost(query) == expected


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        (PAGE, {"n": 3}, 1 + 3 * 2),
        (PAGE, {}, 1 + 100 * 2),  # a variable without a value: MAX_PAGE_SIZE
        (PAGE, {"n": None}, 1 + 100 * 2),
        (PAGE, {"n": "many"}, 1 + 100 * 2),
        (PAGE, {"n": True}, 1 + 100 * 2),
        (PAGE.replace("Int)", "Int = 7)"), {}, 1 + 7 * 2),
        (PAGE.replace("Int)", "Int = 7)"), {"n": 2}, 1 + 2 * 2),
        # Variables reach into fragments.
        ("query($n: Int) { restaurants(first: $n) { ...C } }"
         " fragment C on RestaurantConnection { edges { node { reviews(first: $n) { totalCount }"
         " } } }", {"n": 4}, 1 + 4 * (2 + 2)),
    ],
)  # fmt: skip
def test_the_page_size_comes_from_variables(
    query: str, variables: dict[str, Any], expected: int
) -> None:
    assert cost(query, variables) == expected


@pytest.mark.parametrize(("name", "expected"), [("A", 1), ("B", 2), (None, 0), ("Z", 0)])
def test_the_named_operation_is_the_one_estimated(name: str | None, expected: int) -> None:
    query = "query A { statistics { totalUsers } } query B { restaurants { totalCount } }"
    assert cost(query, name=name) == expected


def chain(links: int, leaf: str) -> str:
    parts = ['query { review(id: "1") { ...F0 } }']
    for n in range(links):
        inner = f"...F{n + 1} ...F{n + 1}" if n + 1 < links else leaf
        parts.append(f"fragment F{n} on Review {{ id {inner} }}")
    return "\n".join(parts)


@pytest.mark.parametrize("links", [4, 22, 60])
def test_fragments_spread_twice_merge_and_are_not_walked_again(links: int) -> None:
    # Each fragment's second spread merges with its first (GraphQL's field merging): the
    # review and its restaurant, once, as executed.
    query = chain(links, "restaurant { id }")
    found = MODEL.estimate(parse(query))
    assert found.cost == 2
    # Each written selection visited once: 3 per fragment, 2 in the operation.
    assert found.visited == 3 * links + 2


def test_every_field_said_to_run_a_statement_exists() -> None:
    for name in OWN_STATEMENT:
        type_name, field = name.split(".")
        found = schema._schema.get_type(type_name)
        assert isinstance(found, GraphQLObjectType) and field in found.fields, name


def readme_queries() -> list[str]:
    text = (Path(__file__).resolve().parents[4] / "README.md").read_text()
    return re.findall(r"```graphql\n(.*?)```", text, flags=re.DOTALL)


def test_the_readmes_queries_fit_the_default_limit_and_its_example_is_right() -> None:
    queries = readme_queries()
    assert len(queries) >= 3
    costs = [cost(query) for query in queries]
    assert max(costs) <= Settings().max_query_cost
    assert costs[0] == 48  # the figure the README works out


def test_a_cost_past_any_integer_of_a_client_is_capped() -> None:
    parts = ['query { review(id: "1") { ...F0 } }']
    for n in range(60):
        inner = f"...F{n + 1}" if n + 1 < 60 else "id"
        parts.append(
            f"fragment F{n} on Review {{ restaurant {{ reviews(first: 100) "
            f"{{ edges {{ node {{ {inner} }} }} }} }} }}"
        )
    assert MODEL.estimate(parse("\n".join(parts))).cost == CEILING
