"""The GraphQL schema: Strawberry types, Query and Mutation, and the schema extensions.

`schema` is the default schema (for the contract check and `jewgo schema export`); the
gateway builds its own with `build_schema(...)` and its settings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from jewgo.schema.documents import DocumentCaching, Documents
from jewgo.schema.errors import ErrorCodes
from jewgo.schema.guard import OperationChoice, RequestGuard
from jewgo.schema.migration import MigrationMutation, MigrationQuery
from jewgo.schema.mutation import DirectoryMutation
from jewgo.schema.operations import OperationsQuery
from jewgo.schema.query import DirectoryQuery
from jewgo.schema.response import ResponseExtensions
from jewgo.schema.rollouts import RolloutMutation
from jewgo.schema.shadow_ignores import ShadowIgnoreMutation
from jewgo.schema.text import TextSafety

ExtensionFactory = type[SchemaExtension] | Callable[[], SchemaExtension]

Query = merge_types("Query", (DirectoryQuery, MigrationQuery, OperationsQuery))
Mutation = merge_types(
    "Mutation", (DirectoryMutation, MigrationMutation, RolloutMutation, ShadowIgnoreMutation)
)


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # ErrorCodes logs what is internal; user errors are not log-worthy here.
        return None


def build_schema(
    *,
    extensions: Sequence[ExtensionFactory] = (),
    limits: ExtensionFactory | None = None,
    documents: Documents | None = None,
    **config: Any,
) -> strawberry.Schema:
    """The gateway's schema. Extensions are classes or factories, never shared instances;
    `limits` comes first, so that a document too big is refused before it is parsed.
    `documents` caches parsing and validation (give the one `limits` counts tokens with)."""
    cache = documents if documents is not None else Documents()
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        extensions=[
            *([limits] if limits is not None else []),
            lambda: DocumentCaching(cache),
            RequestGuard,
            OperationChoice,
            TextSafety,
            *extensions,
            ErrorCodes,
            ResponseExtensions,
        ],
        **config,
    )


schema = build_schema()
