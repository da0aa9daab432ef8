"""The ErrorCodes extension: every error leaves with an `extensions.code`, and internal
ones leave masked (message "Internal server error" and the request id; detail in the log).

Domain errors carry their own code (resolvers.errors, flags.errors). Errors without a
path were raised before any resolver ran (syntax, validation, variable coercion): the
caller's mistake, BAD_USER_INPUT. Anything else is internal.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import structlog
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from schema.context import Context

USER_CODES = frozenset(
    {
        "BAD_USER_INPUT",
        "NOT_FOUND",
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "CONFLICT",
        "QUERY_TOO_COMPLEX",
        "RATE_LIMITED",
    }
)
INTERNAL = "INTERNAL_SERVER_ERROR"
MASKED_MESSAGE = "Internal server error"

log = structlog.get_logger("jewgo.errors")


def _rebuilt(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


def masked(error: GraphQLError, request_id: str) -> GraphQLError:
    return _rebuilt(error, MASKED_MESSAGE, {"code": INTERNAL, "requestId": request_id})


def user_code(error: GraphQLError) -> str | None:
    code = getattr(error.original_error, "code", None)
    return code if isinstance(code, str) and code in USER_CODES else None


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        context = self.execution_context.context
        result.errors = [self._coded(error, context) for error in result.errors]

    def _coded(self, error: GraphQLError, context: Context) -> GraphQLError:
        existing = (error.extensions or {}).get("code")
        if existing in USER_CODES:
            context.error_codes.append(existing)
            return error
        code = user_code(error)
        if code is not None:
            context.error_codes.append(code)
            original = error.original_error
            return _rebuilt(error, getattr(original, "message", str(original)), {"code": code})
        if error.path is None:
            context.error_codes.append("BAD_USER_INPUT")
            return _rebuilt(error, error.message, {"code": "BAD_USER_INPUT"})
        context.error_codes.append(INTERNAL)
        log.error(
            "internal error",
            request_id=context.request_id,
            path=".".join(str(p) for p in error.path),
            exc_info=error.original_error or error,
        )
        return masked(error, context.request_id)
