"""Which media type a client gets, and what counts as a request error."""

from __future__ import annotations

from typing import Any

import pytest

from jewgo.gateway.http.media import GRAPHQL_RESPONSE, JSON, is_request_error, negotiate


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/json", JSON),
        ("application/graphql-response+json", GRAPHQL_RESPONSE),
        ("application/graphql-response+json, application/json;q=0.9", GRAPHQL_RESPONSE),
        ("application/json, application/graphql-response+json", GRAPHQL_RESPONSE),
        ("application/json, application/graphql-response+json;q=0.5", JSON),
        ("application/graphql-response+json;charset=utf-8", GRAPHQL_RESPONSE),
        ("application/graphql-response+json;q=0", JSON),
        ("text/html", JSON),
    ],
)
def test_negotiation(accept: str | None, media: str) -> None:
    assert negotiate(accept) == media


@pytest.mark.parametrize(
    ("result", "request_error"),
    [
        ({"data": None, "errors": [{"message": "Syntax Error"}]}, True),
        ({"data": None, "errors": [{"message": "x", "path": ["restaurants"]}]}, False),
        ({"data": {"a": 1}, "errors": [{"message": "x"}]}, False),
        ({"data": {"a": 1}}, False),
    ],
)
def test_request_errors(result: dict[str, Any], request_error: bool) -> None:
    assert is_request_error(result) is request_error
