"""The GraphQL schema: Strawberry types, Query and Mutation, and the schema extensions.

    directory/    the directory's Query and Mutation, its types, inputs, enums,
                  connections, and the look-ahead of a page's reviews and authors
    operators/    the migration's part, for operators: flags, rollouts and their health,
                  alerts, decommission, the operation registry, shadow ignores
    extensions/   what runs around every operation: limits, cost, documents, the guard,
                  text safety, error codes and masking, the response's extensions
    context.py    the per-request context every resolver receives
    refusal.py    why a request is refused before anything runs (a value the guard answers)
    visibility.py which fields depend on who asks (who may share a cached response)

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

from jewgo.schema.directory.mutation import DirectoryMutation
from jewgo.schema.directory.query import DirectoryQuery
from jewgo.schema.extensions.documents import DocumentCaching, Documents
from jewgo.schema.extensions.errors import ErrorCodes
from jewgo.schema.extensions.guard import OperationChoice, RequestGuard
from jewgo.schema.extensions.response import ResponseExtensions
from jewgo.schema.extensions.text import TextSafety
from jewgo.schema.operators.migration import MigrationMutation, MigrationQuery
from jewgo.schema.operators.operations import OperationsQuery
from jewgo.schema.operators.rollouts import RolloutMutation
from jewgo.schema.operators.shadow_ignores import ShadowIgnoreMutation

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
