"""Bodies no client should send: each is a clear 400 (or BAD_USER_INPUT), never a 500, never
an internal error, and nothing is counted against either version."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.types import Message

from tests.conftest import V4_EVERYWHERE
from tests.support import Database, GraphQL, gateway_client

JSON = {"content-type": "application/json"}
FILTERED = "query($f: RestaurantFilter) { restaurants(filter: $f) { totalCount } }"


def nested(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


BODIES = {
    "JSON nested 2000 deep": b'{"query": "{ __typename }", "variables": {"a": '
    + nested(2000)
    + b"}}",
    "JSON nested 100 deep": b'{"query": "{ __typename }", "variables": {"a": '
    + nested(100)
    + b"}}",
    "variables nested 600 deep": json.dumps(
        {"query": FILTERED, "variables": {"f": json.loads('{"near": ' * 600 + "null" + "}" * 600)}}
    ).encode(),
    "an integer of 5000 digits": b'{"query": "{ __typename }", "variables": {"n": '
    + b"1" * 5000
    + b"}}",
    "a byte that is not UTF-8": b'{"query": "{ __typename \xff }"}',
    "overlong UTF-8": b'{"query": "{ __typename \xc0\xaf }"}',
    "UTF-16": '{"query": "{ __typename }"}'.encode("utf-16"),
}


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
async def test_a_hostile_body_is_a_coded_400(gql: GraphQL, body: bytes) -> None:
    response = await gql.http.post("/graphql", content=body, headers=JSON)
    assert response.status_code == 400, response.text
    reply = response.json()
    assert [e["extensions"]["code"] for e in reply["errors"]] == ["BAD_USER_INPUT"]
    assert reply["extensions"]["requestId"]


@pytest.mark.parametrize(
    "variables",
    ['{"n": ' + "1" * 5000 + "}", '{"a": ' + "[" * 3000 + "]" * 3000 + "}"],
    ids=["a huge integer", "deep nesting"],
)
async def test_hostile_get_variables_are_a_coded_400(gql: GraphQL, variables: str) -> None:
    response = await gql.http.get(
        "/graphql", params={"query": "{ __typename }", "variables": variables}
    )
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("name", ["\ud800", "A\udfff", "\x00"])
async def test_an_operation_name_that_is_not_text_is_refused_as_json(
    gql: GraphQL, name: str
) -> None:
    body = json.dumps({"query": "query A { __typename }", "operationName": name})
    response = await gql.http.post("/graphql", content=body, headers=JSON)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("name", ["\ud800", "\x00"])
async def test_in_a_batch_such_a_name_refuses_only_its_operation(gql: GraphQL, name: str) -> None:
    body = json.dumps([{"query": "query A { __typename }", "operationName": name},
                       {"query": "{ __typename }"}])  # fmt: skip
    response = await gql.http.post("/graphql", content=body, headers=JSON)
    assert response.status_code == 200, response.text
    first, second = response.json()
    assert [e["extensions"]["code"] for e in first["errors"]] == ["BAD_USER_INPUT"]
    assert "NUL or unpaired surrogates" in first["errors"][0]["message"]
    assert second["data"] == {"__typename": "Query"} and "errors" not in second


async def test_an_integer_literal_of_4400_digits_is_bad_input(gql: GraphQL) -> None:
    reply = await gql("{ restaurants(first: " + "1" * 4400 + ") { totalCount } }", touches=())
    assert reply.codes == ["BAD_USER_INPUT"]


class Recorder:
    """Stands in for the view's logger: which levels were used, for what."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def __getattr__(self, level: str) -> Any:
        return lambda event, **_: self.lines.append((level, event))


async def test_a_client_that_disconnects_mid_body_is_an_info_line_not_an_error(
    gql: GraphQL, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder()
    monkeypatch.setattr("jewgo.gateway.http.view.log", recorder)
    messages: Iterator[Message] = iter(
        [
            {"type": "http.request", "body": b'{"query": "{ __ty', "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    sent: list[Message] = []

    async def receive() -> Message:
        return next(messages)

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/graphql", "raw_path": b"/graphql", "query_string": b"",
        "root_path": "", "headers": [(b"content-type", b"application/json")],
        "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    await gql.app(scope, receive, send)
    assert ("info", "client disconnected") in recorder.lines
    assert not [line for line in recorder.lines if line[0] in ("error", "exception")]


@pytest.fixture
async def cached(shared_db: Database, data_dir: Path) -> AsyncIterator[GraphQL]:
    """A gateway with the response cache on (its fast path reads every body first)."""
    cached_v4 = {**V4_EVERYWHERE, "API_V4_CACHE": "true"}
    async with gateway_client(shared_db, data_dir, cached_v4, response_cache=True) as client:
        yield client


ODD_OPERATIONS = {
    "an operation name that is an object": {
        "query": "query A{__typename}",
        "operationName": {"a": 1},
    },
    "an operation name that is a list": {"query": "query A{__typename}", "operationName": ["A"]},
    "an operation name that is an empty list": {
        "query": "query A{__typename}",
        "operationName": [],
    },
    "a lone surrogate as the query": {"query": "\ud800"},
    "a lone surrogate in a string": {
        "query": '{ restaurants(filter: {city: "\udc00"}) { totalCount } }'
    },
    "a lone surrogate in a comment": {"query": "# \ud800\n{ __typename }"},
}


@pytest.mark.parametrize("version", ["v4"])
@pytest.mark.parametrize("body", ODD_OPERATIONS.values(), ids=ODD_OPERATIONS.keys())
async def test_with_the_response_cache_on_an_odd_operation_is_answered_as_without_it(
    gql: GraphQL, cached: GraphQL, body: dict[str, Any]
) -> None:
    """The fast path gives way to the normal path, which answers as with the cache off."""
    content = json.dumps(body).encode()  # lone surrogates escaped, as a client sends them
    plain = await gql.http.post("/graphql", content=content, headers=JSON)
    answered = await cached.http.post("/graphql", content=content, headers=JSON)
    assert answered.status_code == plain.status_code < 500, answered.text
    codes = [e.get("extensions", {}).get("code") for e in answered.json().get("errors", [])]
    assert "INTERNAL_SERVER_ERROR" not in codes
