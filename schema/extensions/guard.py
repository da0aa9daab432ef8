"""Refusals before anything executes: RequestGuard refuses a request decided against in
get_context (an invalid token, a forced version from a non-admin); OperationChoice a
document whose operation to run is not said."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from jewgo.schema.extensions.errors import INTERNAL, USER_CODES, code_for
from jewgo.schema.internals import provided_operation_name


class RequestGuard(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        refusal = context.refusal
        if refusal is not None:
            code = code_for(type(refusal)) or INTERNAL
            context.error_codes.append(code)
            extensions = {"code": code}
            if code not in USER_CODES:  # internal: masked, with the request id
                extensions["requestId"] = context.request_id
            raise GraphQLError(refusal.message, extensions=extensions)
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
