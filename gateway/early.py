"""The response cache's fast path: a POST of one JSON operation answered before Strawberry
sees the request.

The view's doors still run (the identity with its rate limit, the flag decisions, the
context, and afterwards accounting and the request log); Strawberry's HTTP handling,
parsing, validation and execution do not. Anything unusual (not a JSON POST, a batch,
a persisted hash without its text, a body Strawberry would refuse) is left to the normal
path, which reuses the context built here, so nothing is identified or counted twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from strawberry.http import GraphQLRequestData

from jewgo.gateway.responses import ResponseDoor, asks_for_cache
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


async def answer(
    request: Request,
    door: ResponseDoor | None,
    identify: Callable[[Request], Awaitable[Context]],
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
    try:
        sent = operation(decode(await request.body()))
    except Exception:  # Strawberry refuses it, with its own words
        return
    if sent is None:
        return
    context = await identify(request)
    run = Executed(context, sent)
    request.state.executed.append(run)
    ticket = await door.answer(run, report=asks_for_cache(request.headers))
    # A MISS: the normal path runs the operation with this context and this ticket.
    request.state.executed.remove(run)
    request.state.early_ticket = ticket
