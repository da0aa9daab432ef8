"""Who calls and what the flags decide for them, once per HTTP request, and the context
each of its operations gets (`Identifier`, `RequestDecisions`, `ContextFactory`).

`identify` answers an `Identified` value (the identity, the decisions and the request's
database); the fast path of the response cache may take it before any Starlette `Request`
exists, and the view keeps it in the request's state for the normal path.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

from starlette.types import Scope

from jewgo.db.session import RequestDatabase
from jewgo.flags.admin.sync import Flags
from jewgo.flags.decisions import RequestDecisions
from jewgo.flags.snapshot import Snapshot
from jewgo.gateway.request.context import ContextFactory
from jewgo.gateway.request.identity import Identifier, Identity
from jewgo.schema.context import Context


@dataclass(frozen=True, slots=True)
class Identified:
    """A request's caller, what the flags decide for it, and the request's database."""

    identity: Identity
    decisions: RequestDecisions
    db: RequestDatabase


class Callers:
    def __init__(
        self,
        identifier: Identifier,
        flags: Flags,
        contexts: ContextFactory,
        remembered: int = 4096,
    ) -> None:
        """`remembered`: how many callers' decisions are kept for their next request
        (decisions are a pure function of the flags' snapshot and the subject)."""
        self._identifier = identifier
        self._flags = flags
        self._contexts = contexts
        self._remembered = remembered
        self._decisions: OrderedDict[Hashable, tuple[Snapshot, RequestDecisions]] = OrderedDict()

    async def identify(
        self, scope: Scope, headers: Mapping[str, str], request_id: str
    ) -> Identified:
        """Who calls and what the flags decide for them, with the request's database
        (which whoever keeps the answer closes)."""
        db = RequestDatabase(self._contexts.engine)
        snapshot = self._flags.snapshot
        client = scope.get("client")
        try:
            identity = await self._identifier.identify(
                headers,
                client[0] if client else None,
                db.reads,
                salt=snapshot.salt,
                request_id=request_id,
            )
            return Identified(identity, self._decided(snapshot, identity), db)
        except BaseException:
            await db.close()
            raise

    def _decided(self, snapshot: Snapshot, identity: Identity) -> RequestDecisions:
        """The caller's decisions: those of its last request while the snapshot is the
        same object (a flag change makes a new one), else taken afresh."""
        subject = identity.subject
        key = (subject.key, subject.user_id, subject.staff, subject.salt, identity.forced)
        held = self._decisions.get(key)
        if held is not None and held[0] is snapshot:
            self._decisions.move_to_end(key)
            return held[1]
        decisions = RequestDecisions(snapshot, subject, identity.forced)
        self._decisions[key] = (snapshot, decisions)
        self._decisions.move_to_end(key)
        if len(self._decisions) > self._remembered:
            self._decisions.popitem(last=False)
        return decisions

    def context(self, identified: Identified, request_id: str) -> Context:
        """A context for one operation of the identified request."""
        identity = identified.identity
        return self._contexts.build(
            identified.db,
            request_id=request_id,
            viewer=identity.viewer,
            decisions=identified.decisions,
            refusal=identity.refusal,
            caller=identity.caller,
        )
