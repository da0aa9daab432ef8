"""The one place that reads Strawberry's private attributes (STYLE point 21).

Strawberry keeps two things we need behind underscores: the graphql-core schema a
`strawberry.Schema` was converted to (`_schema`), which the cost model, the response
cache's reach, the typed comparisons and validation read; and the `operationName` a client
actually sent (`ExecutionContext._provided_operation_name`), where the public
`operation_name` falls back to the document's first operation. Every module goes through
these functions, and `tests/unit/schema/test_strawberry_internals.py` pins what they return, so
a Strawberry release that moves them fails one test instead of the gateway.
"""

from __future__ import annotations

import strawberry
from graphql import GraphQLSchema
from strawberry.types import ExecutionContext


def graphql_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """The graphql-core schema Strawberry built from `schema`."""
    found = schema._schema
    assert isinstance(found, GraphQLSchema)
    return found


def provided_operation_name(execution: ExecutionContext) -> str | None:
    """The `operationName` the client sent, None when it sent none (not the first
    operation's name, which `execution.operation_name` falls back to)."""
    name = execution._provided_operation_name
    assert name is None or isinstance(name, str)
    return name
