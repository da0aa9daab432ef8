"""One HTTP request's data, typed, under one namespaced key of the ASGI scope.

`RequestIds` (the outermost middleware) puts a `RequestState` in the scope; the GraphQL
view fills it as the request goes (the headers read once, the media type negotiated, what
the response cache's fast path read and decided, the context, the operations run) and
hands accounting what it needs from it as arguments. Nothing else reads the scope for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.responses import Response
from starlette.types import Scope

from jewgo.gateway.execution.runs import Executed
from jewgo.gateway.http import media
from jewgo.gateway.response_cache.fast_path import Early
from jewgo.schema.context import Context

SCOPE_KEY = "jewgo.request"


@dataclass(slots=True, eq=False)
class RequestState:
    request_id: str
    # The request's headers by lower-case name (the first of a repeated one).
    headers: dict[str, str] = field(default_factory=dict)
    # The media type the answer is written in (`Accept`, negotiated once).
    media: str = media.JSON
    # What the response cache's fast path read and decided (the body, the caller, its
    # lookup), for the normal path to use rather than do again.
    early: Early = field(default_factory=Early)
    # The context of the request (a batch's operations have one each, in `executed`).
    context: Context | None = None
    executed: list[Executed] = field(default_factory=list)
    # Each result's context, by the result's id (Strawberry hands results back alone).
    results: dict[int, Context] = field(default_factory=dict)
    # Strawberry's sub-response: the status and headers the answer will carry.
    sub_response: Response | None = None

    @staticmethod
    def of(scope: Scope) -> RequestState:
        """The request's state, as `RequestIds` put it in the scope."""
        state: RequestState = scope[SCOPE_KEY]
        return state
