"""The response cache's fast path: a POST of one JSON operation answered before Strawberry
sees the request.

The view's doors still run (the identity with its rate limit, the flag decisions, the
context, and afterwards accounting and the request log); Strawberry's HTTP handling,
parsing, validation and execution do not. Anything unusual (not a JSON POST, a batch,
a persisted hash without its text, a body Strawberry would refuse) is left to the normal
path, which reuses the context built here, so nothing is identified or counted twice.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from strawberry.http import GraphQLRequestData

from jewgo.gateway.responses import ResponseDoor, Shape, asks_for_cache
from jewgo.gateway.runs import Executed
from jewgo.schema.context import Context


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


async def answer(
    request: Request,
    door: ResponseDoor | None,
    identify: Callable[[Request], Awaitable[Context]],
    bodies: Bodies,
    decode: Callable[[bytes], object],
) -> None:
    """Raises CachedAnswer for a HIT; otherwise returns, leaving the context (and the
    lookup's ticket) for the normal path."""
    if door is None or request.method != "POST":
        return
    if "json" not in request.headers.get("content-type", ""):
        return
    if "x-query-cost" in request.headers:
        return  # a cost report is answered by execution
    prepared = bodies.prepared(await request.body(), door.shape, decode)
    if prepared is None:
        return
    context = await identify(request)
    run = Executed(context, prepared.sent)
    request.state.executed.append(run)
    ticket = await door.answer(run, report=asks_for_cache(request.headers), shape=prepared.shape)
    # A MISS: the normal path runs the operation with this context and this ticket.
    request.state.executed.remove(run)
    request.state.early_ticket = ticket
