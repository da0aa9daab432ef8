"""Apollo's automatic persisted queries, the operation registry and the safelist."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import ADMIN_ID, USER_ID, Database, GraphQL, gateway_client

QUERY = "query Stats { statistics { totalUsers } }"
HASH = hashlib.sha256(QUERY.encode()).hexdigest()
RESPONSE = "application/graphql-response+json"


def persisted(digest: str = HASH) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def post(gql: GraphQL, body: Any, accept: str = "application/json", **headers: str) -> Any:
    return await gql.http.post("/graphql", json=body, headers={"accept": accept, **headers})


def by_hash(digest: str = HASH) -> dict[str, str]:
    return {"extensions": json.dumps(persisted(digest))}


async def rows(gql: GraphQL) -> dict[str, int]:
    await gql.services.registry.flush()
    listed = await gql.services.registry.listing(100)
    return {op.hash: op.count for op in listed}


@pytest.mark.parametrize("accept", ["application/json", RESPONSE])
async def test_an_unknown_hash_asks_for_the_document_then_the_hash_alone_works(
    gql_rw: GraphQL, accept: str
) -> None:
    unknown = await post(gql_rw, {"extensions": persisted()}, accept)
    assert unknown.status_code == (400 if accept == RESPONSE else 200)
    error = unknown.json()["errors"][0]
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert "data" not in unknown.json() or unknown.json()["data"] is None

    registered = await post(gql_rw, {"query": QUERY, "extensions": persisted()}, accept)
    assert registered.json()["data"] == {"statistics": {"totalUsers": 42}}
    by_hash = await post(gql_rw, {"extensions": persisted()}, accept)
    assert by_hash.status_code == 200
    assert by_hash.json()["data"] == {"statistics": {"totalUsers": 42}}
    assert (await rows(gql_rw))[HASH] == 2


async def test_a_hash_that_is_not_the_documents_is_a_400_and_registers_nothing(
    gql_rw: GraphQL,
) -> None:
    wrong = await post(gql_rw, {"query": QUERY, "extensions": persisted("0" * 64)})
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await rows(gql_rw) == {}
    again = await post(gql_rw, {"extensions": persisted("0" * 64)})
    assert again.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    "extension",
    [
        {"persistedQuery": {"version": 2, "sha256Hash": HASH}},
        {"persistedQuery": {"version": 1, "sha256Hash": "xyz"}},
        {"persistedQuery": {"version": 1, "sha256Hash": HASH.upper()}},
        {"persistedQuery": "yes"},
    ],
)
async def test_a_malformed_persisted_query_is_a_400(
    gql: GraphQL, extension: dict[str, Any]
) -> None:
    response = await post(gql, {"extensions": extension})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_persisted_queries_work_over_get_too(gql_rw: GraphQL) -> None:
    await post(gql_rw, {"query": QUERY, "extensions": persisted()})
    response = await gql_rw.http.get("/graphql", params=by_hash())
    assert response.status_code == 200
    assert response.json()["data"] == {"statistics": {"totalUsers": 42}}


async def test_every_document_that_ran_is_in_the_registry_once_with_its_name_and_type(
    gql_rw: GraphQL,
) -> None:
    for _ in range(3):
        (await gql_rw(QUERY)).ok()
    await gql_rw("{ nope }", touches=())  # invalid: not recorded
    await gql_rw("{ restaurants(", touches=())  # unparsable: not recorded
    await gql_rw.services.registry.flush()
    (operation,) = await gql_rw.services.registry.listing(10)
    assert (operation.hash, operation.name, operation.type, operation.count) == (
        HASH,
        "Stats",
        "query",
        3,
    )
    assert operation.document == QUERY


@pytest.fixture
async def off(fresh_db: Database, data_dir: Path) -> AsyncIterator[GraphQL]:
    async with gateway_client(fresh_db, data_dir, {}, persisted_queries="off") as client:
        yield client


async def test_with_persisted_queries_off_a_hash_is_not_supported(off: GraphQL) -> None:
    response = await post(off, {"extensions": persisted()})
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"
    assert (await post(off, {"query": QUERY})).json()["data"] is not None


@pytest.fixture
async def safelist(fresh_db: Database, data_dir: Path) -> AsyncIterator[GraphQL]:
    async with gateway_client(fresh_db, data_dir, {}, persisted_queries="safelist") as client:
        await client.services.registry.add([(QUERY, "Stats", "query")])
        yield client


async def test_a_safelist_runs_registered_documents_only(safelist: GraphQL) -> None:
    assert (await safelist(QUERY)).ok() == {"statistics": {"totalUsers": 42}}
    assert (await post(safelist, {"extensions": persisted()})).json()["data"] is not None
    other = await safelist("{ restaurants(first: 1) { totalCount } }", touches=())
    assert other.codes == ["PERSISTED_QUERY_NOT_IN_LIST"]
    as_user = await safelist(
        "{ restaurants(first: 1) { totalCount } }", as_user=USER_ID, touches=()
    )
    assert as_user.codes == ["PERSISTED_QUERY_NOT_IN_LIST"]


async def test_in_a_safelist_an_admin_may_run_anything_and_it_is_not_listed(
    safelist: GraphQL,
) -> None:
    mine = "{ restaurants(first: 1) { totalCount } }"
    (await safelist(mine, as_user=ADMIN_ID)).ok()
    assert (await safelist(mine, touches=())).codes == ["PERSISTED_QUERY_NOT_IN_LIST"]
    assert set(await rows(safelist)) == {HASH}


async def test_an_anonymous_get_by_hash_is_cacheable_with_an_etag_and_a_304(
    gql_rw: GraphQL,
) -> None:
    await post(gql_rw, {"query": QUERY, "extensions": persisted()})
    first = await gql_rw.http.get("/graphql", params=by_hash())
    assert first.status_code == 200
    # CDN_MAX_AGE_SECONDS (60), below the statistics cache's 300 s.
    assert first.headers["cache-control"] == "public, max-age=60"
    assert "x-client-id" in first.headers["vary"].lower()
    tag = first.headers["etag"]
    again = await gql_rw.http.get("/graphql", params=by_hash(), headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag and again.headers["x-request-id"]
    other = await gql_rw.http.get("/graphql", params=by_hash(), headers={"If-None-Match": '"x"'})
    assert other.status_code == 200


async def test_a_get_by_hash_with_a_token_is_never_cached(gql_rw: GraphQL) -> None:
    await post(gql_rw, {"query": QUERY, "extensions": persisted()})
    token = {"Authorization": f"Bearer {gql_rw.token(USER_ID)}"}
    mine = await gql_rw.http.get("/graphql", params=by_hash(), headers=token)
    assert mine.status_code == 200
    assert mine.headers["cache-control"] == "private, no-store"
    assert "etag" not in mine.headers


async def test_the_shortest_domain_ttl_bounds_max_age(fresh_db: Database, data_dir: Path) -> None:
    async with gateway_client(
        fresh_db, data_dir, {}, cdn_max_age_seconds=3600, cache_ttl_statistics_seconds=120
    ) as gql:
        await post(gql, {"query": QUERY, "extensions": persisted()})
        response = await gql.http.get("/graphql", params=by_hash())
    assert response.headers["cache-control"] == "public, max-age=120"


LISTING = """query($first: Int, $after: ID) { operations(first: $first, after: $after) {
  id name kind document count firstSeen lastSeen } }"""


async def test_an_admin_lists_the_registry_and_nobody_else(gql_rw: GraphQL) -> None:
    (await gql_rw(QUERY)).ok()
    await gql_rw.services.registry.flush()
    listed = (await gql_rw(LISTING, as_user=ADMIN_ID, touches=())).ok()["operations"]
    stats = next(op for op in listed if op["id"] == HASH)
    assert (stats["name"], stats["kind"], stats["document"], stats["count"]) == (
        "Stats",
        "QUERY",
        QUERY,
        1,
    )
    assert (await gql_rw(LISTING, as_user=USER_ID, touches=())).codes == ["FORBIDDEN"]
    bad = await gql_rw(LISTING, {"after": "nope"}, as_user=ADMIN_ID, touches=())
    assert bad.codes == ["BAD_USER_INPUT"]


async def test_a_refused_batch_operation_is_logged_with_the_code_its_client_received(
    gql: GraphQL, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each operation of a batch is coded on its own context: the one refused for an unknown
    hash carries, in its log line, the code its client got (not the request's context)."""
    lines: list[dict[str, Any]] = []

    class Recorder:
        def info(self, event: str, **fields: Any) -> None:
            lines.append({"event": event, **fields})

    monkeypatch.setattr("jewgo.gateway.execution.accounting.log", Recorder())
    batch = [
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "ab" * 32}}},
        {"query": "query B { __typename }"},
    ]
    response = await gql.http.post("/graphql", json=batch, headers={"X-Request-Id": "rq"})
    first, second = response.json()
    logged = {line["request_id"]: line["errors"] for line in lines}
    received = {error["extensions"]["code"] for error in first["errors"]}
    assert received and received <= set(logged["rq:1"]), (received, logged)
    assert second["data"] == {"__typename": "Query"} and logged["rq:2"] == []
