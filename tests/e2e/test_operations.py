"""Choosing the operation, batches of operations, and the two media types."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import ADMIN_ID, GraphQL

RESPONSE = "application/graphql-response+json"
TWO = "query Stats { statistics { totalUsers } } query Me { me { id } }"


async def post(
    gql: GraphQL, body: Any, accept: str = "application/json", headers: dict[str, str] | None = None
) -> Any:
    return await gql.http.post("/graphql", json=body, headers={"accept": accept, **(headers or {})})


@pytest.mark.parametrize("accept", ["application/json", RESPONSE])
async def test_several_operations_without_an_operation_name_run_none(
    gql: GraphQL, accept: str
) -> None:
    response = await post(gql, {"query": TWO}, accept)
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "operationName" in body["errors"][0]["message"]
    assert "Stats, Me" in body["errors"][0]["message"]
    assert body["extensions"]["versions"] == {}
    if accept == RESPONSE:
        assert response.status_code == 400 and "data" not in body
    else:
        assert response.status_code == 200 and body["data"] is None


@pytest.mark.parametrize("name", ["Nope", ""])
async def test_an_unknown_operation_name_is_a_request_error(gql: GraphQL, name: str) -> None:
    response = await post(gql, {"query": TWO, "operationName": name})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_the_named_operation_runs(gql: GraphQL) -> None:
    body = (await post(gql, {"query": TWO, "operationName": "Stats"})).json()
    assert body["data"] == {"statistics": {"totalUsers": 42}}


async def test_each_operation_of_a_batch_is_its_own(gql: GraphQL, version: str) -> None:
    batch = [
        {"query": "{ statistics { totalUsers } }"},
        {"query": "{ __typename }"},
        {"query": "{ nope }"},
        {"query": TWO, "operationName": "Nope"},
        {"query": "{ restaurants(first: 1) { totalCount } }"},
    ]
    response = await post(gql, batch, headers={"X-Request-Id": "batch-7"})
    assert response.status_code == 200
    results = response.json()
    assert [r["extensions"]["requestId"] for r in results] == [f"batch-7:{n}" for n in range(1, 6)]
    assert [r["extensions"]["versions"] for r in results] == [
        {"statistics": version},
        {},
        {},
        {},
        {"restaurants": version},
    ]
    assert results[0]["data"] == {"statistics": {"totalUsers": 42}}
    assert results[1]["data"] == {"__typename": "Query"}
    assert [e["extensions"]["code"] for e in results[2]["errors"]] == ["BAD_USER_INPUT"]
    assert [e["extensions"]["code"] for e in results[3]["errors"]] == ["BAD_USER_INPUT"]
    assert results[4]["data"]["restaurants"]["totalCount"] > 0


async def test_each_operation_of_a_batch_has_its_own_log_line(
    gql: GraphQL, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines: list[dict[str, Any]] = []

    class Recorder:
        def info(self, event: str, **fields: Any) -> None:
            lines.append({"event": event, **fields})

    monkeypatch.setattr("jewgo.gateway.execution.accounting.log", Recorder())
    batch = [
        {"query": "query A { statistics { totalUsers } }"},
        {"query": "query B { me { id } }"},
    ]
    await post(gql, batch, headers={"X-Request-Id": "logged", "Authorization": auth(gql)})
    assert [(line["request_id"], line["operation"]) for line in lines] == [
        ("logged:1", "A"),
        ("logged:2", "B"),
    ]
    assert lines[0]["versions"].keys() == {"statistics"}
    assert lines[1]["versions"].keys() == {"users"}


def auth(gql: GraphQL) -> str:
    return f"Bearer {gql.token(ADMIN_ID)}"


async def test_graphql_response_json_answers_request_errors_with_400_and_no_data(
    gql: GraphQL,
) -> None:
    for query in (
        "{ restaurants(",
        "{ nope }",
        "query($n: Int!) { restaurants(first: $n) { totalCount } }",
    ):
        response = await post(gql, {"query": query, "variables": {"n": "x"}}, RESPONSE)
        assert response.status_code == 400
        assert response.headers["content-type"] == RESPONSE
        assert "data" not in response.json()


async def test_graphql_response_json_answers_field_errors_with_200_and_data(
    gql: GraphQL,
) -> None:
    response = await post(gql, {"query": "{ users(first: 1) { totalCount } }"}, RESPONSE)
    assert response.status_code == 200
    assert response.headers["content-type"] == RESPONSE
    body = response.json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body["errors"][0]["path"] == ["users"]


async def test_application_json_clients_see_what_they_always_saw(gql: GraphQL) -> None:
    response = await post(gql, {"query": "{ nope }"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["data"] is None
