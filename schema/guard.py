"""The RequestGuard extension refuses a whole request decided against in get_context
(an invalid token, a forced version from a non-admin) before anything executes."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension


class RequestGuard(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        refusal = context.refusal
        if refusal is not None:
            context.error_codes.append(refusal.code)
            raise GraphQLError(refusal.message, extensions={"code": refusal.code})
        yield
