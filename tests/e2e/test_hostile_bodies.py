"""Bodies no client should send: each is a clear 400 (or BAD_USER_INPUT), never a 500, never
an internal error, and nothing is counted against either version."""

from __future__ import annotations

import json

import pytest

from tests.support import GraphQL

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


async def test_an_integer_literal_of_4400_digits_is_bad_input(gql: GraphQL) -> None:
    reply = await gql("{ restaurants(first: " + "1" * 4400 + ") { totalCount } }", touches=())
    assert reply.codes == ["BAD_USER_INPUT"]
