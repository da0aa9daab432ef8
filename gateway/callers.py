"""Who calls and what the flags decide for them, once per HTTP request, and the context
each of its operations gets (`Identifier`, `RequestDecisions`, `ContextFactory`).

Both live in the ASGI scope's state (the fast path of the response cache decides them
before any Starlette `Request` exists; the normal path finds them there): `identity`,
`decisions` and `db`, the request's database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.types import Scope

from jewgo.db.session import RequestDatabase
from jewgo.flags.decisions import RequestDecisions
from jewgo.flags.sync import Flags
from jewgo.gateway.context import ContextFactory
from jewgo.gateway.identity import Identifier, Identity
from jewgo.schema.context import Context


class Callers:
    def __init__(self, identifier: Identifier, flags: Flags, contexts: ContextFactory) -> None:
        self._identifier = identifier
        self._flags = flags
        self._contexts = contexts

    async def identify(
        self, scope: Scope, headers: Mapping[str, str]
    ) -> tuple[Identity, RequestDecisions]:
        """Who calls and what the flags decide for them (left in the scope's state with
        the request's database)."""
        state = scope["state"]
        db = state["db"] = RequestDatabase(self._contexts.engine)
        snapshot = self._flags.snapshot
        client = scope.get("client")
        identity = await self._identifier.identify(
            headers,
            client[0] if client else None,
            db.reads,
            salt=snapshot.salt,
            request_id=state["request_id"],
        )
        decisions = RequestDecisions(snapshot, identity.subject, identity.forced)
        state["identity"], state["decisions"] = identity, decisions
        return identity, decisions

    def context(self, state: Mapping[str, Any], request_id: str) -> Context:
        """A context for one operation of the identified request."""
        identity: Identity = state["identity"]
        return self._contexts.build(
            state["db"],
            request_id=request_id,
            viewer=identity.viewer,
            decisions=state["decisions"],
            refusal=identity.refusal,
            caller=identity.caller,
        )
