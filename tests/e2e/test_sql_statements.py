"""v4 loads a page of restaurants with reviews and authors in a constant number of
statements; v3 queries once per parent, so its count grows with the page."""

from __future__ import annotations

from prometheus_client import REGISTRY

from tests.support import GraphQL

PAGE = """query($first: Int!) { restaurants(first: $first) { edges { node {
  reviews(first: 5) { edges { node { author { name } } } } } } } }"""


def counted() -> float:
    """Statements counted so far by the gateway, request by request (its own queries only,
    not the background flag poll or rollout controller)."""
    return REGISTRY.get_sample_value("jewgo_sql_statements_per_request_sum") or 0.0


async def statements_for(gql: GraphQL, first: int) -> int:
    before = counted()
    page = (await gql(PAGE, {"first": first})).ok()
    assert len(page["restaurants"]["edges"]) == first
    return int(counted() - before)


async def test_statement_count_does_not_grow_with_the_page(gql: GraphQL, version: str) -> None:
    small, large = await statements_for(gql, 10), await statements_for(gql, 50)
    if version == "v4":
        # restaurants, their review heads (one window query), the authors
        assert small == large == 3
    else:
        assert large > small >= 10


CHAINED = (
    """query($first: Int!, $reviews: Int!) { restaurants(first: $first) { edges { node {
  ...F0 } } } }
"""
    + "\n".join(f"fragment F{i} on Restaurant {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30))
    + """
fragment F30 on Restaurant { reviews(first: $reviews) { edges { node { author { name } } } } }"""
)


async def test_a_page_read_ahead_through_a_chain_of_fragments_is_still_three_statements(
    gql: GraphQL, version: str
) -> None:
    # 2**30 spreads if each were copied: the look-ahead reads each fragment once a step.
    before = counted()
    page = (await gql(CHAINED, {"first": 20, "reviews": 5})).ok()
    assert len(page["restaurants"]["edges"]) == 20
    if version == "v4":
        assert counted() - before == 3
