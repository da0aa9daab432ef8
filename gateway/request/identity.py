"""Who is calling, decided once per request: the token decoded once, the rate-limit key,
the viewer (its role read from the database), an ADMIN's forced version, and the
stickiness key of the flags' buckets.

A request that cannot go on (a bad token, too many requests, a forced version from a
non-admin, the database away) is not refused here: its `refusal`, a value, is answered
by the RequestGuard extension before anything executes, so it is answered GraphQL-shaped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

import structlog

from jewgo.db.session import Executor
from jewgo.flags.decide import Subject, stickiness_key
from jewgo.flags.stages import Variant
from jewgo.gateway.request import auth
from jewgo.gateway.request.auth import Tokens
from jewgo.gateway.request.forwarding import ProxyWatch
from jewgo.gateway.request.ratelimit import RateLimiter
from jewgo.gateway.request.roles import RoleCache
from jewgo.resolvers.domain import Viewer
from jewgo.resolvers.errors import (
    DomainError,
    Forbidden,
    InvalidInput,
    RateLimited,
    Unauthenticated,
)
from jewgo.schema.extensions.errors import MASKED_MESSAGE
from jewgo.schema.refusal import Refusal

log = structlog.get_logger("jewgo.identity")
FORCE_HEADER = "x-resolver-version"


def forced_version(header: str | None, viewer: Viewer | None) -> Variant | None:
    """The version an ADMIN forces with `X-Resolver-Version`; FORBIDDEN for anyone else."""
    if header is None:
        return None
    if viewer is None or not viewer.is_admin:
        raise Forbidden("Only an ADMIN may force a resolver version")
    try:
        return Variant(header.strip().lower())
    except ValueError as exc:
        raise InvalidInput(
            "X-Resolver-Version must be v3 or v4", {"X-Resolver-Version": "must be v3 or v4"}
        ) from exc


@dataclass(frozen=True, slots=True)
class Identity:
    viewer: Viewer | None
    subject: Subject
    forced: Variant | None = None
    refusal: Refusal | None = None
    # Seconds until the caller's rate window turns, when it is over its share.
    retry_after: int | None = None
    # Who calls, as the rate limit and the rollout guard count callers: a signed-in user,
    # else the address (X-Client-Id is the caller's to invent).
    caller: str | None = None
    # The rate limits' key: the user id of a correctly signed token, else the address.
    client: str | None = None


class Identifier:
    """Identifies callers: tokens, the rate limit and the users table (through the role
    cache when there is one: `gateway.request.roles`), nothing else."""

    def __init__(
        self,
        tokens: Tokens,
        limiter: RateLimiter,
        roles: RoleCache | None = None,
        proxies: ProxyWatch | None = None,
    ) -> None:
        self._tokens = tokens
        self._limiter = limiter
        self._roles = roles
        self._proxies = proxies
        # Reads of a role under way, with the role cache's epoch when each began: the
        # callers of one user whose role just expired wait for one read, not one each.
        self._reading: dict[int, tuple[asyncio.Future[Viewer], int]] = {}

    async def _viewer(self, user_id: int, reads: Executor) -> Viewer:
        roles = self._roles
        if roles is None:
            return await auth.viewer_of(user_id, reads)
        role = roles.get(user_id)
        if role is not None:
            return Viewer(id=user_id, role=role)
        reading = self._reading.get(user_id)
        if reading is None or reading[1] != roles.epoch:  # none, or one a purge overtook
            task = asyncio.ensure_future(auth.viewer_of(user_id, reads))
            reading = self._reading[user_id] = (task, roles.epoch)
            task.add_done_callback(lambda _: self._forget_read(user_id, task))
        viewer = await asyncio.shield(reading[0])
        roles.put(user_id, viewer.role, reading[1])
        return viewer

    def _forget_read(self, user_id: int, task: asyncio.Future[Viewer]) -> None:
        if not task.cancelled():
            task.exception()  # seen: its waiters raise it, and none may be left
        if self._reading.get(user_id, (None, 0))[0] is task:
            del self._reading[user_id]

    def _token_subject(self, header: str | None) -> tuple[int | None, Refusal | None]:
        """The token's user id (signature and expiry checked), or why there is none."""
        try:
            token = auth.bearer(header)
            return (self._tokens.subject(token) if token is not None else None), None
        except Unauthenticated as exc:
            return None, Refusal.of(exc)

    async def identify(
        self,
        headers: Mapping[str, str],
        address: str | None,
        reads: Executor,
        *,
        salt: str,
        request_id: str,
    ) -> Identity:
        user_id, refusal = self._token_subject(headers.get("authorization"))
        viewer: Viewer | None = None
        forced: Variant | None = None
        retry_after: int | None = None
        # A bad token is counted by address: it is refused below anyway.
        client = f"user:{user_id}" if user_id is not None else f"address:{address}"
        try:
            if self._limiter.enabled:
                allowed, retry_after = await self._limiter.allow(client)
                if allowed:
                    retry_after = None
                else:  # refused for this, whatever the token
                    refusal = Refusal(
                        RateLimited, f"Too many requests; try again in {retry_after} s"
                    )
            if refusal is None:
                if user_id is not None:
                    viewer = await self._viewer(user_id, reads)
                forced = forced_version(headers.get(FORCE_HEADER), viewer)
        except DomainError as exc:  # the token's user gone, or a forced version refused
            refusal = Refusal.of(exc)
        except Exception:  # the database is away (or worse): refuse, masked
            log.exception("could not identify the caller", request_id=request_id)
            refusal = Refusal(DomainError, MASKED_MESSAGE)
        known = viewer.id if viewer is not None else None
        subject = Subject(
            user_id=known,
            staff=viewer is not None and viewer.is_staff,
            key=stickiness_key(known, headers.get("x-client-id"), address),
            salt=salt,
        )
        caller = f"user:{known}" if known is not None else f"address:{address}"
        if self._proxies is not None:
            self._proxies.record(address, subject.key)
        return Identity(viewer, subject, forced, refusal, retry_after, caller, client)
