"""Anonymous GETs of persisted queries are cacheable by a CDN or a browser.

A GET whose document is named by its hash alone (`extensions.persistedQuery`) from a
caller with no `Authorization` header, that ran a query without errors, gets
`Cache-Control: public, max-age=N` (N: CDN_MAX_AGE_SECONDS, or less when a domain it
touched keeps its cache entries for less) and an `ETag` over its data and versions; a
request with a matching `If-None-Match` gets `304 Not Modified`. Anything a token may
have shaped is `private, no-store`. `Vary` names what the answer depends on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from jewgo.gateway.execution.runs import Executed

VARY = "Accept, X-Client-Id"


def etag(data: Any, versions: Mapping[str, str]) -> str:
    """Weak: the body also carries a request id, which differs every time."""
    text = json.dumps({"data": data, "versions": dict(versions)}, sort_keys=True, default=str)
    return 'W/"' + hashlib.blake2b(text.encode(), digest_size=16).hexdigest() + '"'


def max_age(limit: int, versions: Mapping[str, str], ttls: Mapping[str, float]) -> int:
    """The setting's limit, lowered to the shortest lifetime of a domain it touched."""
    shortest = min((ttls.get(domain, limit) for domain in versions), default=limit)
    return max(0, int(min(limit, shortest)))


def matches(if_none_match: str | None, tag: str) -> bool:
    if not if_none_match:
        return False
    wanted = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in wanted or tag.removeprefix("W/") in wanted


def cacheable(response: Response, tag: str, seconds: int) -> None:
    response.headers["Cache-Control"] = f"public, max-age={seconds}"
    response.headers["ETag"] = tag
    response.headers["Vary"] = VARY


def not_modified(response: Response, tag: str, seconds: int) -> Response:
    """The 304 for a client (or CDN) that holds this answer already."""
    headers = {
        name: value
        for name, value in response.headers.items()
        if name.lower() not in ("content-length", "content-type")
    }
    fresh = Response(status_code=304, headers=headers)
    cacheable(fresh, tag, seconds)
    return fresh


def private(response: Response) -> None:
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Vary"] = VARY


def for_caches(
    request: Request,
    response: Response,
    executed: list[Executed],
    limit: int,
    ttls: Mapping[str, float],
) -> Response:
    """`response` with the cache headers a GET of a persisted query should carry, or the
    304 when the client holds it already; other GETs are left as they are."""
    if "persistedQuery" not in request.query_params.get("extensions", ""):
        return response
    if "authorization" in request.headers or len(executed) != 1:
        private(response)
        return response
    context = executed[0].context
    if (
        response.status_code != 200
        or context.outcome.error_codes
        or context.outcome.operation_type != "query"
    ):
        private(response)
        return response
    tag = executed[0].etag or etag(executed[0].data, context.versions)
    seconds = max_age(limit, context.versions, ttls)
    if matches(request.headers.get("if-none-match"), tag):
        return not_modified(response, tag, seconds)
    cacheable(response, tag, seconds)
    return response
