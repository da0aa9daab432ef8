"""A request refused at the door (a bad token, too many requests, a forced version from a
non-admin, too costly, the caller not identified) is answered by the RequestGuard before
anything runs: its message, its code, and the request id when it is internal."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from jewgo.resolvers.errors import (
    DomainError,
    Forbidden,
    InvalidInput,
    QueryTooCostly,
    RateLimited,
    Unauthenticated,
)
from jewgo.schema import schema
from jewgo.schema.context import Outcome
from jewgo.schema.extensions.errors import MASKED_MESSAGE
from jewgo.schema.refusal import Refusal


@pytest.mark.parametrize(
    ("kind", "message", "extensions"),
    [
        (Unauthenticated, "Invalid token", {"code": "UNAUTHENTICATED"}),
        (RateLimited, "Too many requests; try again in 3 s", {"code": "RATE_LIMITED"}),
        (Forbidden, "Only an ADMIN may force a resolver version", {"code": "FORBIDDEN"}),
        (InvalidInput, "X-Resolver-Version must be v3 or v4", {"code": "BAD_USER_INPUT"}),
        (QueryTooCostly, "The query's estimated cost is 9", {"code": "QUERY_TOO_COMPLEX"}),
        (DomainError, MASKED_MESSAGE, {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-1"}),
    ],
)
def test_a_refused_request_is_answered_before_anything_runs(
    kind: type[DomainError], message: str, extensions: dict[str, str]
) -> None:
    context = SimpleNamespace(
        refusal=Refusal(kind, message), outcome=Outcome(), request_id="req-1", versions={}
    )
    result = schema.execute_sync("{ statistics { totalUsers } }", context_value=context)
    assert result.data is None
    assert [(e.message, e.extensions) for e in result.errors or ()] == [(message, extensions)]
    assert context.outcome.error_codes == [extensions["code"]]
