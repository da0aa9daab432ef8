"""v4 loads a page of restaurants with reviews and authors in a constant number of
statements; v3 queries once per parent, so its count grows with the page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support import GraphQL

PAGE = """query($first: Int!) { restaurants(first: $first) { edges { node {
  reviews(first: 5) { edges { node { author { name } } } } } } } }"""


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)


async def statements_for(gql: GraphQL, first: int) -> int:
    with counting(gql.services.engine) as statements:
        page = (await gql(PAGE, {"first": first})).ok()
    assert len(page["restaurants"]["edges"]) == first
    return len(statements)


async def test_statement_count_does_not_grow_with_the_page(gql: GraphQL, version: str) -> None:
    small, large = await statements_for(gql, 10), await statements_for(gql, 50)
    if version == "v4":
        # restaurants, their review heads (one window query), the authors
        assert small == large == 3
    else:
        assert large > small >= 10
