"""Error codes: every error leaves with an `extensions.code`, and internal ones leave
masked (message "Internal server error" and the request id; the detail goes to the log).

Domain errors (resolvers.errors, flags.errors) carry no code: `CODES` is the one mapping
from their classes to codes (the CLI names flag errors by it too), and only USER_CODES
leave unmasked. Errors without a path and without a Python exception behind them were
raised before any resolver ran (syntax, validation, variable coercion): the caller's
mistake, BAD_USER_INPUT. Anything else is internal. `coded` applies the mapping to an
error, `error_for` to a request refused before anything ran (a `Refusal`, answered by
the RequestGuard); the ErrorCodes extension codes every execution's errors, and the HTTP
view once more those raised around it (a failing parse hook, say), so no path leaves an
error uncoded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import structlog
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from jewgo.flags.errors import (
    FlagError,
    InvalidChange,
    PreconditionFailed,
    UnknownFlag,
    VersionConflict,
)
from jewgo.resolvers.domain import Version
from jewgo.resolvers.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    QueryTooCostly,
    RateLimited,
    Unauthenticated,
    Unavailable,
)
from jewgo.schema.context import Context
from jewgo.schema.refusal import Refusal

USER_CODES = frozenset(
    {
        "BAD_USER_INPUT",
        "NOT_FOUND",
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "CONFLICT",
        "QUERY_TOO_COMPLEX",
        "RATE_LIMITED",
        # The operator's request needs something done first (a replay before a rollout).
        "FAILED_PRECONDITION",
        # Not the caller's either, but not an error of the implementation: the database
        # went away under the request, and the client retries.
        "SERVICE_UNAVAILABLE",
    }
)
INTERNAL = "INTERNAL_SERVER_ERROR"
MASKED_MESSAGE = "Internal server error"

# Each domain exception's code; a subclass not named has its nearest ancestor's.
CODES: Mapping[type[Exception], str] = {
    DomainError: INTERNAL,
    InvalidInput: "BAD_USER_INPUT",
    NotFound: "NOT_FOUND",
    Unauthenticated: "UNAUTHENTICATED",
    Forbidden: "FORBIDDEN",
    Conflict: "CONFLICT",
    RateLimited: "RATE_LIMITED",
    QueryTooCostly: "QUERY_TOO_COMPLEX",
    Unavailable: "SERVICE_UNAVAILABLE",
    FlagError: INTERNAL,
    UnknownFlag: "NOT_FOUND",
    InvalidChange: "BAD_USER_INPUT",
    VersionConflict: "CONFLICT",
    PreconditionFailed: "FAILED_PRECONDITION",
}

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


def code_for(kind: type[BaseException]) -> str | None:
    """The code CODES gives a domain exception class; None for any other class."""
    for ancestor in kind.__mro__:
        code = CODES.get(ancestor)
        if code is not None:
            return code
    return None


def _domain_code(error: GraphQLError) -> str | None:
    original = error.original_error
    code = code_for(type(original)) if original is not None else None
    return code if code in USER_CODES else None


def error_for(refusal: Refusal, request_id: str, codes: list[str]) -> GraphQLError:
    """The error answering a request refused before anything ran: the refusal's message
    and its kind's code (appended to `codes`), masked with the request id when internal."""
    code = code_for(refusal.kind) or INTERNAL
    codes.append(code)
    if code not in USER_CODES:
        return GraphQLError(MASKED_MESSAGE, extensions={"code": INTERNAL, "requestId": request_id})
    return GraphQLError(refusal.message, extensions={"code": code})


def _before_execution(error: GraphQLError) -> bool:
    original = error.original_error
    return error.path is None and (original is None or isinstance(original, GraphQLError))


def _served_by_none(error: BaseException) -> Version | None:
    return None


def coded(
    error: GraphQLError,
    request_id: str,
    codes: list[str],
    *,
    details: bool = False,
    served_by: Callable[[BaseException], Version | None] = _served_by_none,
) -> GraphQLError:
    """`error` with its code (appended to `codes`), masked when internal. With `details`
    (api_v4_error_handling), v4's input errors name each invalid field in `fields`: those
    `served_by` (the request's router) says v4 raised."""
    existing = (error.extensions or {}).get("code")
    if existing in USER_CODES or existing == INTERNAL:
        return error  # coded already, and counted where it was coded
    code = _domain_code(error)
    if code is not None:
        codes.append(code)
        original = error.original_error
        extensions: dict[str, Any] = {"code": code}
        fields = getattr(original, "fields", None)
        if details and fields and original is not None and served_by(original) is Version.V4:
            extensions["fields"] = dict(fields)
        return _rebuilt(error, getattr(original, "message", str(original)), extensions)
    if _before_execution(error):
        codes.append("BAD_USER_INPUT")
        return _rebuilt(error, error.message, {"code": "BAD_USER_INPUT"})
    codes.append(INTERNAL)
    log.error(
        "internal error",
        request_id=request_id,
        path=".".join(str(p) for p in error.path or ()),
        exc_info=error.original_error or error,
    )
    return _rebuilt(error, MASKED_MESSAGE, {"code": INTERNAL, "requestId": request_id})


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        context = self.execution_context.context
        result.errors = coded_all(result.errors, context, context.request_id)


def coded_all(
    errors: list[GraphQLError], context: Context | None, request_id: str
) -> list[GraphQLError]:
    """Every error coded for `context` (the request's id when there is none)."""
    if context is None:
        return [coded(e, request_id, []) for e in errors]
    codes, details, served_by = (
        context.outcome.error_codes,
        context.detailed_errors,
        context.served_by,
    )
    return [
        coded(e, context.request_id, codes, details=details, served_by=served_by) for e in errors
    ]
