"""Requests refused before (or around) execution, answered GraphQL-shaped with a code.

Strawberry refuses malformed HTTP with plain text; the gateway answers every refusal as
a GraphQL response: `errors` with `extensions.code`, the request id, and `data: null`
for application/json clients (none for application/graphql-response+json: nothing ran).
"""

from __future__ import annotations

import json
from typing import Any

from cross_web import HTTPException
from starlette.responses import JSONResponse, Response

from jewgo.gateway.execution.runs import ProtocolAnswer
from jewgo.gateway.http import media
from jewgo.gateway.request.bodies import TooManyOperations
from jewgo.schema.extensions.errors import INTERNAL


class AsciiJSONResponse(JSONResponse):
    """JSON with everything outside ASCII escaped: a refusal may echo what the client sent,
    lone surrogates included, which UTF-8 cannot encode."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":")).encode("ascii")


def refused(
    request_id: str, kind: str, status: int, reason: str, code: str = "BAD_USER_INPUT"
) -> Response:
    """The response to a refused request; internal ones (5xx) are masked by the caller."""
    extensions: dict[str, Any] = {"code": code}
    if status >= 500:
        extensions = {"code": INTERNAL, "requestId": request_id}
    body: dict[str, Any] = {
        "data": None,
        "errors": [{"message": reason, "extensions": extensions}],
        "extensions": {"requestId": request_id},
    }
    if kind == media.GRAPHQL_RESPONSE:
        del body["data"]  # a request error: nothing was executed
    return AsciiJSONResponse(body, status_code=status, media_type=kind)


def refusal_for(
    exc: HTTPException | TooManyOperations | ProtocolAnswer, request_id: str, kind: str
) -> Response:
    """The response to a request refused before its operations ran."""
    if isinstance(exc, HTTPException):
        return refused(request_id, kind, exc.status_code, exc.reason)
    if isinstance(exc, TooManyOperations):
        return refused(request_id, kind, 400, str(exc), code="QUERY_TOO_COMPLEX")
    # A persisted-query answer for the client to act on (not found, not in the list): a
    # request error, 200 for application/json clients and 400 for the newer media type.
    status = 400 if kind == media.GRAPHQL_RESPONSE else 200
    return refused(request_id, kind, status, exc.refusal.message, exc.refusal.code)
