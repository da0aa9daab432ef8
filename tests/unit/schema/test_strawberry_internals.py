"""What the gateway reads of Strawberry's private attributes, pinned for the Strawberry
version the lock installs (`schema/internals.py` is the one module that reads them): a
release that moves them fails here, not in the gateway."""

from __future__ import annotations

from collections.abc import Iterator

import strawberry
from graphql import GraphQLSchema
from strawberry.extensions import SchemaExtension

from jewgo.schema import schema
from jewgo.schema.internals import graphql_schema, provided_operation_name


def test_the_graphql_core_schema_is_the_one_strawberry_built() -> None:
    found = graphql_schema(schema)
    assert isinstance(found, GraphQLSchema)
    query = found.query_type
    assert query is not None and {"restaurants", "restaurant", "migration"} <= set(query.fields)


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "hello"


def seen_operation_names(operation_name: str | None) -> tuple[str | None, str | None]:
    """(what the client sent, what Strawberry's public `operation_name` says)."""
    seen: list[tuple[str | None, str | None]] = []

    class Capture(SchemaExtension):
        def on_validate(self) -> Iterator[None]:
            execution = self.execution_context
            seen.append((provided_operation_name(execution), execution.operation_name))
            yield

    tiny = strawberry.Schema(query=Query, extensions=[Capture])
    result = tiny.execute_sync("query A { hello } query B { hello }", operation_name=operation_name)
    assert seen, result
    return seen[0]


def test_the_operation_name_sent_is_told_apart_from_strawberrys_fallback() -> None:
    assert seen_operation_names("B") == ("B", "B")
    # Nothing sent: the public name falls back to the first operation; ours says None.
    assert seen_operation_names(None) == (None, "A")
