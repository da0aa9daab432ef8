"""The methods of Strawberry's ASGI view that `GatewayView` overrides beyond its documented
hooks (`get_context`, `process_result`, `decode_json`, `render_graphql_ide`): each must
still exist on the base view with the parameters the override takes, so that a Strawberry
release that renames or reshapes one fails here rather than leaving our override unused."""

from __future__ import annotations

import inspect

import pytest
from strawberry.asgi import GraphQL

from jewgo.gateway.http.view import GatewayView

# Why each is overridden: batching, the response cache and accounting around execution;
# the body's shape and batch size checked once; the negotiated media type and a HIT's
# stored bytes written as they are.
OVERRIDDEN = ("execute_operation", "parse_http_body", "create_response", "get_sub_response")


@pytest.mark.parametrize("name", OVERRIDDEN)
def test_each_override_matches_a_method_of_strawberrys_view(name: str) -> None:
    base = inspect.signature(getattr(GraphQL, name))
    ours = inspect.signature(getattr(GatewayView, name))
    assert list(ours.parameters) == list(base.parameters)
    assert inspect.iscoroutinefunction(getattr(GraphQL, name)) == inspect.iscoroutinefunction(
        getattr(GatewayView, name)
    )


def test_no_other_undocumented_method_is_overridden() -> None:
    documented = {"get_context", "process_result", "decode_json", "render_graphql_ide"}
    documented |= {"should_render_graphql_ide", "__init__", "__call__"}
    overridden = {
        name
        for name, value in vars(GatewayView).items()
        if callable(value) and not name.startswith("_") and hasattr(GraphQL, name)
    }
    assert overridden - documented == set(OVERRIDDEN)
