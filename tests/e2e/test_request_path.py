"""One way through the gateway: what a request builds and asks, and only when needed."""

from __future__ import annotations

from typing import Any

import pytest

from jewgo.flags.decide import decide
from jewgo.resolvers.router import VersionRouter
from tests.support import ADMIN_ID, GraphQL


@pytest.fixture
def directories(monkeypatch: pytest.MonkeyPatch) -> list[VersionRouter]:
    """Every directory (router over the two versions) a request builds."""
    built: list[VersionRouter] = []

    class Counting(VersionRouter):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            built.append(self)

    monkeypatch.setattr("jewgo.schema.context.VersionRouter", Counting)
    return built


async def test_a_typename_query_builds_no_directory(
    gql: GraphQL, directories: list[VersionRouter]
) -> None:
    reply = await gql("{ __typename }", touches=())
    assert reply.ok() == {"__typename": "Query"}
    assert reply.extensions["versions"] == {}
    assert directories == []


async def test_an_admin_flag_change_builds_no_directory(
    gql_rw: GraphQL, directories: list[VersionRouter]
) -> None:
    change = 'mutation { setFlagStage(name: "api_v4_cache", stage: TESTING) { stage } }'
    reply = await gql_rw(change, as_user=ADMIN_ID, touches=())
    assert reply.ok() == {"setFlagStage": {"stage": "TESTING"}}
    assert directories == []


async def test_a_restaurant_page_builds_one_directory_and_decides_each_flag_once(
    gql: GraphQL, directories: list[VersionRouter], monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def counting(snapshot: Any, name: str, subject: Any) -> Any:
        asked.append(name)
        return decide(snapshot, name, subject)

    monkeypatch.setattr("jewgo.flags.decisions.decide", counting)
    query = """{ restaurants(first: 5) { edges { node { name
                 reviews(first: 2) { edges { node { author { name } } } } } } } }"""
    (await gql(query)).ok()
    assert len(directories) == 1
    assert len(asked) == len(set(asked))
