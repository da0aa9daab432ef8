"""The Python `gql` client, which nobody here wrote: it fetches the schema, validates its
documents locally against it, pages, mutates, and reads errors with their codes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from gql import Client, gql
from gql.client import AsyncClientSession
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport
from graphql import GraphQLError

from tests.support import ADMIN_ID, GraphQL

PAGE = """query Page($after: String) {
  restaurants(first: 10, after: $after) { edges { node { id name } }
  pageInfo { hasNextPage endCursor } } }"""


async def session_for(client: GraphQL, **headers: str) -> AsyncIterator[AsyncClientSession]:
    transport = HTTPXAsyncTransport(
        url="http://gateway/graphql",
        transport=httpx.ASGITransport(app=client.app),
        headers=headers,
    )
    async with Client(transport=transport, fetch_schema_from_transport=True) as session:
        yield session


@pytest.fixture
async def session(gql: GraphQL) -> AsyncIterator[AsyncClientSession]:
    async for opened in session_for(gql):
        yield opened


async def test_the_schema_is_fetched_and_documents_are_validated_before_sending(
    session: AsyncClientSession,
) -> None:
    assert session.client.schema is not None
    assert session.client.schema.get_type("FeatureFlag") is not None
    with pytest.raises(GraphQLError, match="Cannot query field 'nope'"):
        await session.execute(gql("{ restaurants { edges { node { nope } } } }"))


async def test_pages_follow_each_other_without_overlap(session: AsyncClientSession) -> None:
    seen: list[str] = []
    after: str | None = None
    for _ in range(4):
        request = gql(PAGE)
        request.variable_values = {"after": after}
        page: dict[str, Any] = await session.execute(request)
        seen += [edge["node"]["id"] for edge in page["restaurants"]["edges"]]
        after = page["restaurants"]["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 40


async def test_a_mutation_and_an_error_with_its_code(gql_rw: GraphQL) -> None:
    async for admin in session_for(gql_rw, Authorization=f"Bearer {gql_rw.token(ADMIN_ID)}"):
        create = gql("""mutation($input: CreateRestaurantInput!) {
              createRestaurant(input: $input) { id name status } }""")
        create.variable_values = {"input": {"name": "Gql Grill", "kosherCategory": "MEAT"}}
        created = await admin.execute(create)
        assert created["createRestaurant"]["status"] == "ACTIVE"
    async for anonymous in session_for(gql_rw):
        with pytest.raises(TransportQueryError) as refused:
            await anonymous.execute(gql("{ users(first: 1) { totalCount } }"))
        assert refused.value.errors is not None
        assert refused.value.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
