"""Browsers on other origins (CORS_ORIGINS), through Starlette's CORSMiddleware.

Preflights for POST with JSON and `Authorization` pass for the listed origins; the
headers clients read are exposed (`X-Request-Id`, `Retry-After`, `ETag`). A refused
preflight says why in a GraphQL-shaped body with a code, not in plain text.
"""

from __future__ import annotations

import json

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "Accept",
    "X-Client-Id",
    "X-Request-Id",
    "X-Resolver-Version",
    # Apollo Client's identification and CSRF-prevention headers.
    "apollographql-client-name",
    "apollographql-client-version",
    "apollo-require-preflight",
    "If-None-Match",
    "X-Query-Cost",
)
EXPOSED_HEADERS = ("X-Request-Id", "Retry-After", "ETag")


class Cors(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code == 200:
            return response
        reason = bytes(response.body).decode().removeprefix("Disallowed CORS ")
        body = {
            "errors": [
                {
                    "message": f"Cross-origin request refused: {reason} not allowed "
                    f"(origin {request_headers.get('origin')!r}; see CORS_ORIGINS)",
                    "extensions": {"code": "FORBIDDEN"},
                }
            ]
        }
        headers = {
            k: v for k, v in response.headers.items() if k.lower().startswith(("access-", "vary"))
        }
        return Response(
            json.dumps(body),
            status_code=403,
            headers=headers,
            media_type="application/json",
        )
