"""Browsers on other origins: CORS_ORIGINS, preflights, exposed headers, clear refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from jewgo.gateway.settings import SettingsError, load_settings
from tests.support import Database, GraphQL, gateway_client

APP = "https://app.jewgo.example"
PREFLIGHT = {
    "Origin": APP,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type, authorization, x-client-id",
}


@pytest.fixture
async def cors(shared_db: Database, data_dir: Path) -> AsyncIterator[GraphQL]:
    origins = f"{APP}, http://127.0.0.1:5173"
    async with gateway_client(shared_db, data_dir, {}, cors_origins=origins) as client:
        yield client


async def test_without_cors_origins_no_origin_is_let_in(gql: GraphQL) -> None:
    response = await gql.http.options("/graphql", headers=PREFLIGHT)
    assert response.status_code == 405
    assert "access-control-allow-origin" not in response.headers
    posted = await gql.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": APP}
    )
    assert "access-control-allow-origin" not in posted.headers


async def test_an_allowed_origin_passes_the_preflight_for_json_with_a_token(cors: GraphQL) -> None:
    response = await cors.http.options("/graphql", headers=PREFLIGHT)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP
    allowed = {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
    }
    assert {"content-type", "authorization", "x-client-id"} <= allowed
    assert "POST" in response.headers["access-control-allow-methods"]


async def test_responses_to_an_allowed_origin_expose_what_clients_read(cors: GraphQL) -> None:
    response = await cors.http.post(
        "/graphql", json={"query": "{ statistics { totalUsers } }"}, headers={"Origin": APP}
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "x-request-id" in exposed and "retry-after" in exposed
    assert "access-control-allow-credentials" not in response.headers


async def test_a_disallowed_origin_is_refused_with_a_code(cors: GraphQL) -> None:
    response = await cors.http.options(
        "/graphql", headers={**PREFLIGHT, "Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "origin" in error["message"] and "CORS_ORIGINS" in error["message"]
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    ("values", "rule"),
    [
        ({"cors_origins": "*", "cors_allow_credentials": True}, "cannot go with"),
        ({"cors_origins": "app.example.com"}, "must list origins"),
        ({"cors_origins": "https://app.example.com/path"}, "must list origins"),
    ],
)
def test_cors_settings_that_cannot_be_right_are_refused(
    values: dict[str, object], rule: str
) -> None:
    with pytest.raises(SettingsError, match=rule):
        load_settings(**values)
