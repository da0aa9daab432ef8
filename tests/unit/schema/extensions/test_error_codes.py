"""Every domain exception's code, pinned: the code it names (what the CLI prints) and what
a GraphQL client receives when a resolver raises it (internal ones masked, with the
request id). The table covers both hierarchies, `resolvers.errors` and `flags.errors`,
and every subclass of them anywhere in the package."""

from __future__ import annotations

import pytest
from graphql import GraphQLError

from jewgo.flags.errors import (
    FlagError,
    InvalidChange,
    PreconditionFailed,
    UnknownFlag,
    VersionConflict,
)
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
from jewgo.schema.extensions.errors import MASKED_MESSAGE, code_for, coded

INTERNAL = "INTERNAL_SERVER_ERROR"

# class: (the code it names, the code a GraphQL client receives)
CODES: dict[type[Exception], tuple[str, str]] = {
    DomainError: (INTERNAL, INTERNAL),
    InvalidInput: ("BAD_USER_INPUT", "BAD_USER_INPUT"),
    NotFound: ("NOT_FOUND", "NOT_FOUND"),
    Unauthenticated: ("UNAUTHENTICATED", "UNAUTHENTICATED"),
    Forbidden: ("FORBIDDEN", "FORBIDDEN"),
    Conflict: ("CONFLICT", "CONFLICT"),
    RateLimited: ("RATE_LIMITED", "RATE_LIMITED"),
    Unavailable: ("SERVICE_UNAVAILABLE", "SERVICE_UNAVAILABLE"),
    QueryTooCostly: ("QUERY_TOO_COMPLEX", "QUERY_TOO_COMPLEX"),
    FlagError: (INTERNAL, INTERNAL),
    UnknownFlag: ("NOT_FOUND", "NOT_FOUND"),
    InvalidChange: ("BAD_USER_INPUT", "BAD_USER_INPUT"),
    VersionConflict: ("CONFLICT", "CONFLICT"),
    PreconditionFailed: ("FAILED_PRECONDITION", "FAILED_PRECONDITION"),
}


def subclasses(root: type[Exception]) -> set[type[Exception]]:
    found = {root}
    for child in root.__subclasses__():
        found |= subclasses(child)
    return found


def test_the_table_names_every_domain_exception() -> None:
    assert set(CODES) == subclasses(DomainError) | subclasses(FlagError)


@pytest.mark.parametrize("kind", list(CODES), ids=lambda kind: kind.__name__)
def test_each_exception_names_its_code(kind: type[Exception]) -> None:
    named, _ = CODES[kind]
    assert code_for(kind) == named


@pytest.mark.parametrize("kind", list(CODES), ids=lambda kind: kind.__name__)
def test_a_domain_exception_carries_no_graphql_code(kind: type[Exception]) -> None:
    assert not hasattr(kind, "code")
    assert not hasattr(kind("what happened"), "code")


@pytest.mark.parametrize("kind", list(CODES), ids=lambda kind: kind.__name__)
def test_a_resolver_raising_it_answers_its_code(kind: type[Exception]) -> None:
    _, answered = CODES[kind]
    raised = GraphQLError("ignored", path=["field"], original_error=kind("what happened"))
    codes: list[str] = []
    error = coded(raised, "req-1", codes)
    assert codes == [answered]
    if answered == INTERNAL:
        assert error.message == MASKED_MESSAGE
        assert error.extensions == {"code": INTERNAL, "requestId": "req-1"}
    else:
        assert error.message == "what happened"
        assert error.extensions == {"code": answered}
