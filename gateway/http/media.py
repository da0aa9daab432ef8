"""The response's media type, as GraphQL over HTTP defines it.

A client that accepts `application/graphql-response+json` gets it, with the status codes
that media type means: a request error (the document does not parse or validate, no
operation can be chosen, the variables do not coerce) is a 400 without a `data` entry;
an error while executing is a 200 with `data`. Anyone else (`application/json`, `*/*`,
no Accept at all) gets `application/json` exactly as before: 200 with `"data": null`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def _quality(parameters: Sequence[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def negotiate(accept: str | None) -> str:
    """`application/graphql-response+json` when the client prefers it (or only takes it),
    else `application/json`. A client sends the same Accept every time: short ones are
    remembered."""
    if accept is None:
        return JSON
    return _remembered(accept) if len(accept) <= 256 else _negotiated(accept)


@functools.lru_cache(maxsize=64)
def _remembered(accept: str) -> str:
    return _negotiated(accept)


def _negotiated(accept: str) -> str:
    best, best_quality = JSON, -1.0
    for item in accept.split(","):
        kind, *parameters = item.split(";")
        kind = kind.strip().lower()
        quality = _quality(parameters)
        if quality <= 0:
            continue
        # A tie goes to the newer media type: a client that names it wants it.
        if kind == GRAPHQL_RESPONSE and quality >= best_quality:
            best, best_quality = GRAPHQL_RESPONSE, quality
        elif kind in (JSON, "application/*", "*/*") and quality > best_quality:
            best, best_quality = JSON, quality
    return best


def is_request_error(result: Mapping[str, Any]) -> bool:
    """No data and only errors raised before execution (none has a path)."""
    errors = result.get("errors")
    return (
        result.get("data") is None
        and bool(errors)
        and all(not error.get("path") for error in errors or ())
    )
