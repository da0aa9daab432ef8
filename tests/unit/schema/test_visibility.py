"""Each declaration of schema.visibility, and what may never be cached."""

from __future__ import annotations

import pytest
from graphql import parse

from jewgo.schema import schema
from jewgo.schema.visibility import CACHEABLE_ROOTS, VIEWER_FIELDS, Reach, reach

GRAPHQL = schema._schema

# One document per declaration: it reaches the declared field and nothing else per-user.
DECLARED = {
    ("Query", "me"): "{ me { id name } }",
    ("Query", "review"): '{ review(id: "1") { id rating } }',
    ("Query", "reviews"): "{ reviews(first: 2) { edges { node { id } } } }",
    ("User", "email"): "{ users(first: 2) { edges { node { id email } } } }",
}


def test_every_declaration_has_a_document_here() -> None:
    assert set(DECLARED) == set(VIEWER_FIELDS)


@pytest.mark.parametrize("declared", sorted(VIEWER_FIELDS))
def test_a_declared_field_exists_and_makes_the_answer_the_callers_own(
    declared: tuple[str, str],
) -> None:
    type_name, field = declared
    graphql_type = GRAPHQL.get_type(type_name)
    assert graphql_type is not None and field in graphql_type.fields  # type: ignore[attr-defined]
    assert reach(GRAPHQL, parse(DECLARED[declared]), None) is Reach.USER


def test_a_declared_field_counts_inside_a_fragment() -> None:
    document = "query { me { ...Who } } fragment Who on User { name }"
    assert reach(GRAPHQL, parse(document), None) is Reach.USER
    emails = "query { users(first: 1) { edges { node { ...E } } } } fragment E on User { email }"
    assert reach(GRAPHQL, parse(emails), None) is Reach.USER


def test_a_public_page_is_shared_by_a_role() -> None:
    page = "{ restaurants(first: 3) { edges { node { id reviews { edges { node { author { name } } } } } } } }"  # noqa: E501
    assert reach(GRAPHQL, parse(page), None) is Reach.ROLE
    assert reach(GRAPHQL, parse("{ statistics { totalReviews } }"), None) is Reach.ROLE


@pytest.mark.parametrize(
    "document",
    [
        'mutation { deleteReview(id: "1") }',
        "{ __schema { queryType { name } } }",
        '{ restaurants(first: 1) { edges { node { __type: __typename } } } __type(name: "User") { name } }',  # noqa: E501
        "query A { me { id } } query B { statistics { totalReviews } }",
    ],
)
def test_what_is_never_cached(document: str) -> None:
    assert reach(GRAPHQL, parse(document), None) is None


def test_an_operation_outside_the_domains_is_never_cached() -> None:
    roots = {name for name in GRAPHQL.query_type.fields if not name.startswith("__")}  # type: ignore[union-attr]
    for name in sorted(roots - CACHEABLE_ROOTS):
        field = GRAPHQL.query_type.fields[name]  # type: ignore[union-attr]
        required = [a for a, arg in field.args.items() if "!" in str(arg.type)]
        args = "(" + ", ".join(f'{a}: "x"' for a in required) + ")" if required else ""
        document = parse(f"{{ {name}{args} {{ __typename }} }}")
        assert reach(GRAPHQL, document, None) is None, name


def test_the_whole_document_is_judged_erring_towards_the_caller() -> None:
    document = parse("query A { me { id } } query B { statistics { totalReviews } }")
    assert reach(GRAPHQL, document, "B") is Reach.USER  # never wider than any part
    assert reach(GRAPHQL, parse("query B { statistics { totalReviews } }"), "B") is Reach.ROLE
    assert reach(GRAPHQL, document, "C") is None
