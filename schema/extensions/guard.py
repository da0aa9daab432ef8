"""Refusals before anything executes: RequestGuard answers a request decided against in
get_context (its context's `refusal`: an invalid token, a forced version from a
non-admin, too costly), through the error codes' mapping; OperationChoice refuses a
document whose operation to run is not said."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from jewgo.schema.extensions.errors import error_for
from jewgo.schema.internals import provided_operation_name


class RequestGuard(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if context.refusal is not None:
            raise error_for(context.refusal, context.request_id, context.outcome.error_codes)
        yield


class OperationChoice(SchemaExtension):
    """A document of several operations needs `operationName` to say which one runs (the
    GraphQL spec's GetOperation); without it the request is refused, not the first run."""

    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        document = execution.graphql_document
        # `operation_name` falls back to the first operation's; what the client sent is this.
        if document is not None and provided_operation_name(execution) is None:
            names = [
                d.name.value if d.name else "(anonymous)"
                for d in document.definitions
                if isinstance(d, OperationDefinitionNode)
            ]
            if len(names) > 1:
                raise GraphQLError(
                    "The document holds several operations (" + ", ".join(names) + "): "
                    "operationName must say which one to run",
                    extensions={"code": "BAD_USER_INPUT"},
                )
        yield
