"""The response cache's fast path: a POST of one JSON operation answered from the ASGI
scope, before Strawberry (or a Starlette `Request`, or a context) exists.

The view's doors still run (the identity with its rate limit, the flag decisions, and
afterwards accounting and the request log); Strawberry's HTTP handling, parsing,
validation and execution do not, and a HIT builds no per-request context: it needs the
caller, the flag decisions and the stored answer, nothing else. Anything unusual (not a
JSON POST, a batch, a persisted hash without its text, a body Strawberry would refuse, a
refused caller) is left to the normal path, which is handed what was read and decided here
(`Early`: the body, the caller and its decisions, the lookup's ticket and key), so nothing
is read, identified or looked up twice.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive, Scope, Send
from strawberry.http import GraphQLRequestData

from jewgo.flags.decisions import RequestDecisions
from jewgo.gateway.execution.accounting import Answered
from jewgo.gateway.request.callers import Identified
from jewgo.gateway.response_cache.cache import Ticket
from jewgo.gateway.response_cache.door import UNSET, Shape, Unset, asks_for_cache, hit_body
from jewgo.gateway.response_cache.store import Entry
from jewgo.resolvers.domain import Viewer
from jewgo.schema.refusal import Refusal

Identify = Callable[[Scope, Mapping[str, str], str], Awaitable[Identified]]


class Door(Protocol):
    """What the fast path asks of the response cache (`responses.ResponseDoor`)."""

    def shape(self, sent: GraphQLRequestData) -> Shape | None: ...

    def key_for(
        self,
        viewer: Viewer | None,
        decisions: RequestDecisions,
        refusal: Refusal | None,
        shape: Shape | None,
    ) -> str | None: ...

    async def find(self, key: str, decisions: RequestDecisions) -> tuple[Entry | None, Ticket]: ...


def header_map(scope: Scope) -> dict[str, str]:
    """The request's headers by (lower-case) name, the first of a repeated one, as
    Starlette's `Headers.get` reads them; built once per request."""
    found: dict[str, str] = {}
    for name, value in scope["headers"]:
        key = name.decode("latin-1")
        if key not in found:
            found[key] = value.decode("latin-1")
    return found


def operation(body: object) -> GraphQLRequestData | None:
    """The one operation a decoded body sends, if it is plainly one."""
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return None
    variables, name, extensions = (
        body.get("variables"),
        body.get("operationName"),
        body.get("extensions"),
    )
    if variables is not None and not isinstance(variables, dict):
        return None
    if name is not None and not isinstance(name, str):
        return None
    if extensions is not None and (not isinstance(extensions, dict) or extensions):
        return None  # persisted queries and other extensions: the normal path
    return GraphQLRequestData(
        query=body["query"], variables=variables, operation_name=name, extensions=None
    )


@dataclass(frozen=True, slots=True)
class Prepared:
    """A body's one operation, and its key's shape (None: never cached)."""

    sent: GraphQLRequestData
    shape: Shape | None


class Bodies:
    """Bodies seen before, each with its operation and the shape of its key: a repeated
    body (a frontend's same page) is neither decoded nor hashed again. Only bodies that
    decoded to one plain operation are kept; bounded in entries and in body size."""

    def __init__(self, entries: int = 512, max_body_bytes: int = 8192) -> None:
        self._entries = entries
        self._max_body_bytes = max_body_bytes
        self._held: OrderedDict[bytes, Prepared] = OrderedDict()

    def prepared(
        self,
        body: bytes,
        shape: Callable[[GraphQLRequestData], Shape | None],
        decode: Callable[[bytes], object],
    ) -> Prepared | None:
        found = self._held.get(body)
        if found is not None:
            return found
        try:
            sent = operation(decode(body))
        except Exception:  # Strawberry refuses it, with its own words
            return None
        if sent is None:
            return None
        found = Prepared(sent, shape(sent))
        if len(body) <= self._max_body_bytes:
            self._held[body] = found
            if len(self._held) > self._entries:
                self._held.popitem(last=False)
        return found


async def read_body(receive: Receive) -> bytes:
    """The whole request body (as Starlette's `Request.body` reads it)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """`receive` with the body read already given again first (for the normal path)."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


@dataclass(slots=True)
class Early:
    """What the fast path read and decided before leaving a request to the normal path."""

    body: bytes | None = None
    identified: Identified | None = None
    # The lookup's ticket to keep the answer with (None: not cacheable; UNSET: not looked
    # up) and the key it was looked up under.
    ticket: Ticket | Unset | None = UNSET
    key: str | None = None


@dataclass(frozen=True, slots=True)
class Hit:
    """A HIT: the response body, and what accounting records of it."""

    body: bytes
    record: Answered


class FastPath:
    def __init__(
        self,
        door: Door,
        identify: Identify,
        decode: Callable[[bytes], object],
        bodies: Bodies | None = None,
    ) -> None:
        """`identify`: the view's door for the caller and the flags' decisions (it leaves
        both, and the request's database, in the scope's state)."""
        self._door = door
        self._identify = identify
        self._decode = decode
        self._bodies = bodies or Bodies()

    async def answer(
        self,
        scope: Scope,
        receive: Receive,
        headers: Mapping[str, str],
        request_id: str,
        early: Early,
    ) -> Hit | None:
        """A HIT, or None: the normal path answers, with what was read and decided here
        written in `early` as it is learnt (so a failure halfway loses none of it)."""
        if "json" not in headers.get("content-type", ""):
            return None
        if "x-query-cost" in headers:
            return None  # a cost report is answered by execution
        body = early.body = await read_body(receive)
        door = self._door
        prepared = self._bodies.prepared(body, door.shape, self._decode)
        if prepared is None:
            return None
        identified = early.identified = await self._identify(scope, headers, request_id)
        identity = identified.identity
        key = door.key_for(identity.viewer, identified.decisions, identity.refusal, prepared.shape)
        if key is None:
            early.ticket = None  # not cacheable: the normal path need not look
            return None
        entry, ticket = await door.find(key, identified.decisions)
        if entry is None:  # a MISS: the normal path runs it, keeps it with this ticket
            early.ticket, early.key = ticket, key
            return None
        viewer = identity.viewer
        record = Answered(
            request_id, viewer.id if viewer is not None else None, entry.operation, entry.versions
        )
        return Hit(hit_body(entry, request_id, asks_for_cache(headers)), record)


async def send_hit(send: Send, kind: str, body: bytes) -> None:
    """A HIT's response, as Starlette's `Response` would send it."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-length", str(len(body)).encode("latin-1")),
                (b"content-type", kind.encode("latin-1")),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
