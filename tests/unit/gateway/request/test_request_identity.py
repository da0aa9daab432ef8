"""Identifying a caller: the token decoded once, the rate-limit key, the viewer, a forced
version, the stickiness key; every refusal kept for the guard, nothing raised."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from jewgo.flags.stages import Variant
from jewgo.gateway.request.auth import Tokens
from jewgo.gateway.request.identity import Identifier
from jewgo.gateway.request.ratelimit import RateLimiter
from jewgo.resolvers.domain import Role, Viewer
from jewgo.resolvers.errors import (
    DomainError,
    Forbidden,
    InvalidInput,
    RateLimited,
    Unauthenticated,
)
from jewgo.schema.extensions.errors import code_for
from jewgo.schema.refusal import Refusal

SECRET = "s" * 40


@dataclass(frozen=True)
class CountingTokens(Tokens):
    decoded: list[str] = field(default_factory=list)

    def subject(self, token: str) -> int:
        self.decoded.append(token)
        return super().subject(token)


class Rows:
    """The users table as the identifier reads it: one role per id."""

    def __init__(self, roles: Mapping[int, str], *, down: bool = False) -> None:
        self.roles = roles
        self.down = down
        self.statements = 0

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        self.statements += 1
        if self.down:
            raise ConnectionError("database away")
        user_id = statement.compile().params["id_1"]
        role = self.roles.get(user_id)
        return type("Result", (), {"scalar_one_or_none": lambda _: role})()


class Limiter(RateLimiter):
    def __init__(self, limit: int) -> None:
        super().__init__(limit, clock=lambda: 30.0)
        self.clients: list[str] = []

    async def allow(self, client: str) -> tuple[bool, int]:
        self.clients.append(client)
        return await super().allow(client)


ROLES = {1: "ADMIN", 3: "USER"}


async def identify(identifier: Identifier, rows: Rows | None = None, **headers: str) -> Any:
    return await identifier.identify(
        headers, "10.0.0.9", rows or Rows(ROLES), salt="salt", request_id="r1"
    )


async def test_a_token_is_decoded_once_and_names_both_the_rate_key_and_the_viewer() -> None:
    tokens = CountingTokens(SECRET, 60)
    limiter = Limiter(10)
    rows = Rows(ROLES)
    token = tokens.issue(3)
    identity = await identify(Identifier(tokens, limiter), rows, authorization=f"Bearer {token}")
    assert tokens.decoded == [token]
    assert limiter.clients == ["user:3"]
    assert rows.statements == 1
    assert identity.viewer == Viewer(3, Role.USER)
    assert identity.subject.key == "user:3" and identity.refusal is None


async def test_an_anonymous_caller_is_counted_by_address_and_bucketed_by_client_id() -> None:
    limiter = Limiter(10)
    rows = Rows(ROLES)
    client = {"x-client-id": "device-7"}
    identity = await identify(Identifier(Tokens(SECRET, 60), limiter), rows, **client)
    assert limiter.clients == ["address:10.0.0.9"]
    assert rows.statements == 0
    assert identity.viewer is None and identity.subject.key == "client:device-7"


@pytest.mark.parametrize(
    "header", ["Bearer not-a-token", "Basic abc", f"Bearer {Tokens('t' * 40, 60).issue(3)}"]
)
async def test_a_bad_token_is_counted_by_address_and_refused(header: str) -> None:
    limiter = Limiter(10)
    identity = await identify(Identifier(Tokens(SECRET, 60), limiter), authorization=header)
    assert limiter.clients == ["address:10.0.0.9"]
    assert identity.refusal is not None and identity.refusal.kind is Unauthenticated
    assert identity.viewer is None and identity.subject.key == "address:10.0.0.9"


async def test_the_token_of_a_deleted_user_is_refused() -> None:
    tokens = Tokens(SECRET, 60)
    identity = await identify(
        Identifier(tokens, Limiter(10)), authorization=f"Bearer {tokens.issue(99)}"
    )
    assert identity.refusal is not None and identity.refusal.kind is Unauthenticated


async def test_past_its_share_a_caller_is_refused_with_retry_after_and_not_looked_up() -> None:
    tokens = Tokens(SECRET, 60)
    identifier = Identifier(tokens, Limiter(1))
    rows = Rows(ROLES)
    header = f"Bearer {tokens.issue(3)}"
    assert (await identify(identifier, rows, authorization=header)).refusal is None
    refused = await identify(identifier, rows, authorization=header)
    assert refused.refusal == Refusal(RateLimited, "Too many requests; try again in 30 s")
    assert refused.retry_after == 30
    assert rows.statements == 1 and refused.viewer is None


async def test_only_an_admin_may_force_a_version() -> None:
    tokens = Tokens(SECRET, 60)
    identifier = Identifier(tokens, Limiter(0))
    force = {"x-resolver-version": "v4"}
    admin = await identify(identifier, None, authorization=f"Bearer {tokens.issue(1)}", **force)
    assert admin.forced is Variant.V4 and admin.refusal is None
    user = await identify(identifier, None, authorization=f"Bearer {tokens.issue(3)}", **force)
    assert user.refusal == Refusal(Forbidden, "Only an ADMIN may force a resolver version")
    assert user.forced is None


async def test_a_database_away_is_a_masked_refusal_not_an_exception() -> None:
    tokens = Tokens(SECRET, 60)
    identity = await identify(
        Identifier(tokens, Limiter(0)),
        Rows(ROLES, down=True),
        authorization=f"Bearer {tokens.issue(3)}",
    )
    assert identity.refusal is not None and identity.refusal.message == "Internal server error"
    assert code_for(identity.refusal.kind) == "INTERNAL_SERVER_ERROR"


async def test_every_refusal_is_a_value_kept_for_the_guard_not_an_exception() -> None:
    tokens = Tokens(SECRET, 60)
    user, gone = f"Bearer {tokens.issue(3)}", f"Bearer {tokens.issue(99)}"
    admin = f"Bearer {tokens.issue(1)}"
    v4, v9 = {"x-resolver-version": "v4"}, {"x-resolver-version": "v9"}
    limited = Identifier(tokens, Limiter(1))
    await identify(limited, authorization=user)
    identities = [
        await identify(Identifier(tokens, Limiter(10)), authorization="Bearer not-a-token"),
        await identify(Identifier(tokens, Limiter(10)), authorization=gone),
        await identify(limited, authorization=user),
        await identify(Identifier(tokens, Limiter(0)), None, authorization=user, **v4),
        await identify(Identifier(tokens, Limiter(0)), None, authorization=admin, **v9),
        await identify(Identifier(tokens, Limiter(0)), Rows(ROLES, down=True), authorization=user),
    ]
    refusals = [identity.refusal for identity in identities]
    assert all(type(refusal) is Refusal for refusal in refusals)
    assert not any(isinstance(refusal, BaseException) for refusal in refusals)
    assert [refusal.kind for refusal in refusals if refusal is not None] == [
        Unauthenticated,
        Unauthenticated,
        RateLimited,
        Forbidden,
        InvalidInput,
        DomainError,
    ]
