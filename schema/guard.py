"""The RequestGuard extension refuses a whole request decided against in get_context
(an invalid token, a forced version from a non-admin) before anything executes."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from jewgo.schema.errors import USER_CODES


class RequestGuard(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        refusal = context.refusal
        if refusal is not None:
            context.error_codes.append(refusal.code)
            extensions = {"code": refusal.code}
            if refusal.code not in USER_CODES:  # internal: masked, with the request id
                extensions["requestId"] = context.request_id
            raise GraphQLError(refusal.message, extensions=extensions)
        yield
