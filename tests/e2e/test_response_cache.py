"""The response cache through the gateway, on PostgreSQL and Redis, with two instances
(two apps on the same database and Redis namespace, each with its own near cache)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from jewgo.flags.rollouts.controller import HealthSource
from jewgo.flags.telemetry.window import CACHED
from jewgo.gateway.response_cache.door import ResponseDoor
from jewgo.gateway.telemetry.logs import configure
from tests.conftest import V4_EVERYWHERE, Templates, clone
from tests.support import (
    ADMIN_ID,
    USER_ID,
    Database,
    GraphQL,
    RedisProcess,
    eventually,
    gateway_client,
)

CACHED_V4 = {**V4_EVERYWHERE, "API_V4_CACHE": "true"}
ASK = {"X-Response-Cache": "1"}
RESTAURANT = """query($id: ID!) { restaurant(id: $id) { id name averageRating reviewCount
  reviews(first: 5) { totalCount edges { node { id rating author { name } } } } } }"""
ME = "{ me { id name email } }"
OTHER_USER_ID = 4


@pytest.fixture
async def pg(templates: Templates, tmp_path: Path) -> AsyncIterator[Database]:
    database = await clone("postgres", templates, tmp_path)
    yield database
    await database.close()


def options(redis_url: str, namespace: str, **extra: Any) -> dict[str, Any]:
    return {"redis_url": redis_url, "redis_namespace": namespace, "response_cache": True, **extra}


@pytest.fixture
async def fleet(
    pg: Database, data_dir: Path, redis_url: str, namespace: str
) -> AsyncIterator[tuple[GraphQL, GraphQL]]:
    """Instances A and B, v4 with its cache, sharing PostgreSQL and Redis."""
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(
            gateway_client(pg, data_dir, CACHED_V4, **options(redis_url, namespace))
        )
        b = await stack.enter_async_context(
            gateway_client(pg, data_dir, CACHED_V4, **options(redis_url, namespace))
        )
        yield a, b


def status(reply: Any) -> str | None:
    cache: str | None = reply.extensions.get("cache")
    return cache


async def test_a_second_read_is_a_hit_with_its_own_request_id(
    fleet: tuple[GraphQL, GraphQL],
) -> None:
    a, _ = fleet
    first = await a(RESTAURANT, {"id": "11"}, headers=ASK)
    second = await a(RESTAURANT, {"id": "11"}, headers=ASK)
    assert (status(first), status(second)) == ("MISS", "HIT")
    assert second.ok() == first.ok()
    assert second.extensions["versions"] == first.extensions["versions"]
    assert set(second.extensions["versions"].values()) == {"v4"}
    assert second.extensions["requestId"] != first.extensions["requestId"]
    assert "cache" not in (await a(RESTAURANT, {"id": "11"})).extensions  # only when asked


async def test_a_hit_writes_its_request_line_as_an_execution_does(
    pg: Database,
    data_dir: Path,
    redis_url: str,
    namespace: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = options(redis_url, namespace, log_level="INFO")
    try:
        async with gateway_client(pg, data_dir, CACHED_V4, **settings) as a:
            miss = await a(RESTAURANT, {"id": "11"}, headers=ASK)
            hit = await a(RESTAURANT, {"id": "11"}, headers=ASK)
            ids = {miss.extensions["requestId"], hit.extensions["requestId"]}
            written: list[dict[str, Any]] = []

            async def both_written() -> bool:
                err = capsys.readouterr().err
                written.extend(json.loads(line) for line in err.splitlines() if line[:1] == "{")
                return ids <= {line.get("request_id") for line in written}

            await eventually(both_written)
    finally:
        configure("WARNING", "json")  # what the other tests' apps log with
    lines = {line["request_id"]: line for line in written if line["event"] == "graphql request"}
    executed, cached = lines[miss.extensions["requestId"]], lines[hit.extensions["requestId"]]
    assert list(cached) == list(executed)
    assert (executed["cache"], cached["cache"]) == ("MISS", "HIT")
    assert cached["versions"] == executed["versions"] == miss.extensions["versions"]
    assert (cached["type"], cached["errors"], cached["status"]) == ("query", [], 200)
    assert cached["sql_statements"] == 0 < executed["sql_statements"]
    assert cached["cost"] is None and executed["cost"] is not None


async def test_a_failure_in_the_fast_path_is_masked_counted_and_logged(
    pg: Database,
    data_dir: Path,
    redis_url: str,
    namespace: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(*_: object) -> None:
        raise RuntimeError("the cache broke")

    monkeypatch.setattr(ResponseDoor, "find", broken)
    settings = options(redis_url, namespace, log_level="INFO")
    try:
        async with gateway_client(pg, data_dir, CACHED_V4, **settings) as a:
            reply = await a.http.post(
                "/graphql", json={"query": RESTAURANT, "variables": {"id": "11"}}
            )
            request_id = reply.headers["x-request-id"]
            written: list[dict[str, Any]] = []

            async def logged() -> bool:
                err = capsys.readouterr().err
                written.extend(json.loads(line) for line in err.splitlines() if line[:1] == "{")
                return any(line.get("event") == "graphql request" for line in written)

            await eventually(logged)
    finally:
        configure("WARNING", "json")
    assert reply.status_code == 500
    assert reply.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "the cache broke" not in reply.text
    line = next(line for line in written if line.get("event") == "graphql request")
    assert (line["request_id"], line["status"]) == (request_id, 500)
    failure = next(line for line in written if line.get("event", "").startswith("request failed"))
    assert failure["request_id"] == request_id


async def test_a_v3_write_on_b_purges_the_page_cached_on_a(fleet: tuple[GraphQL, GraphQL]) -> None:
    a, b = fleet
    await a(RESTAURANT, {"id": "11"})
    assert status(await a(RESTAURANT, {"id": "11"}, headers=ASK)) == "HIT"
    await a(RESTAURANT, {"id": "12"})
    renamed = await b(
        'mutation($id: ID!) { updateRestaurant(id: $id, input: {name: "Renamed on B"}) { id } }',
        {"id": "11"},
        as_user=ADMIN_ID,
        headers={"X-Resolver-Version": "v3"},
    )
    assert renamed.extensions["versions"] == {"restaurants": "v3"}

    async def shows_the_write() -> bool:
        reply = await a(RESTAURANT, {"id": "11"}, headers=ASK)
        return bool(reply.ok()["restaurant"]["name"] == "Renamed on B")

    await eventually(shows_the_write, within=5)
    # The other restaurant's page was not touched by the write: still a HIT.
    assert status(await a(RESTAURANT, {"id": "12"}, headers=ASK)) == "HIT"


async def test_a_review_on_one_restaurant_leaves_another_a_hit(
    fleet: tuple[GraphQL, GraphQL],
) -> None:
    a, b = fleet
    for rid in ("11", "12"):
        await a(RESTAURANT, {"id": rid})
    (await b(
        'mutation { createReview(input: {restaurantId: "11", rating: 4, content: "Fine food"}) '
        "{ id } }", as_user=OTHER_USER_ID,
    )).ok()  # fmt: skip
    assert status(await a(RESTAURANT, {"id": "11"}, headers=ASK)) == "MISS"
    assert status(await a(RESTAURANT, {"id": "12"}, headers=ASK)) == "HIT"


async def test_v3_never_gets_the_v4_answer(
    pg: Database, data_dir: Path, redis_url: str, namespace: str
) -> None:
    async with AsyncExitStack() as stack:
        v4 = await stack.enter_async_context(
            gateway_client(pg, data_dir, CACHED_V4, **options(redis_url, namespace))
        )
        v3 = await stack.enter_async_context(
            gateway_client(pg, data_dir, {}, **options(redis_url, namespace))
        )
        await v4(RESTAURANT, {"id": "11"})
        assert status(await v4(RESTAURANT, {"id": "11"}, headers=ASK)) == "HIT"
        served = await v3(RESTAURANT, {"id": "11"}, headers=ASK)
        assert set(served.extensions["versions"].values()) == {"v3"}
        assert status(served) is None
        forced = await v4(
            RESTAURANT, {"id": "11"}, as_user=ADMIN_ID, headers={**ASK, "X-Resolver-Version": "v3"}
        )
        assert set(forced.extensions["versions"].values()) == {"v3"}


async def test_me_and_email_are_never_served_to_another_user(
    fleet: tuple[GraphQL, GraphQL],
) -> None:
    a, b = fleet
    mine = (await a(ME, as_user=USER_ID)).ok()["me"]
    assert status(await a(ME, as_user=USER_ID, headers=ASK)) == "HIT"
    theirs = await b(ME, as_user=OTHER_USER_ID, headers=ASK)
    assert theirs.ok()["me"]["id"] != mine["id"]
    assert theirs.ok()["me"]["email"] != mine["email"]
    assert status(theirs) == "MISS"
    assert (await a(ME, headers=ASK)).ok()["me"] is None


async def test_an_answer_with_errors_is_never_stored(fleet: tuple[GraphQL, GraphQL]) -> None:
    a, _ = fleet
    users = "{ users(first: 2) { edges { node { id email } } } }"
    for _ in range(2):
        refused = await a(users, as_user=USER_ID, headers=ASK, touches=("users",))
        assert refused.codes == ["FORBIDDEN"]
        assert status(refused) == "MISS"


async def test_bad_input_is_refused_without_touching_the_cache(
    fleet: tuple[GraphQL, GraphQL],
) -> None:
    a, _ = fleet
    before = REGISTRY.get_sample_value(
        "jewgo_response_cache_lookups_total", {"layer": "redis", "result": "miss"}
    )
    reply = await a.http.post(
        "/graphql", json={"query": RESTAURANT, "variables": ["11"]}, headers=ASK
    )
    assert reply.status_code == 400
    # A huge key (an unused variable of 100 KB): answered by execution, never keyed.
    huge = {"id": "11", "x" * 100_000: 1}
    for _ in range(2):
        executed = await a(RESTAURANT, huge, headers=ASK)
        assert executed.ok()["restaurant"]["id"] == "11" and status(executed) is None
    after = REGISTRY.get_sample_value(
        "jewgo_response_cache_lookups_total", {"layer": "redis", "result": "miss"}
    )
    assert after == before


async def test_redis_down_fails_nothing_and_own_writes_purge(
    pg: Database, data_dir: Path, own_redis: RedisProcess, namespace: str
) -> None:
    settings = options(own_redis.url, namespace, redis_timeout_seconds=0.2)
    async with gateway_client(pg, data_dir, CACHED_V4, **settings) as a:
        await a(RESTAURANT, {"id": "11"})
        assert status(await a(RESTAURANT, {"id": "11"}, headers=ASK)) == "HIT"
        own_redis.kill()
        assert (await a(RESTAURANT, {"id": "11"}, headers=ASK)).ok()["restaurant"]
        (await a(
            'mutation { updateRestaurant(id: "11", input: {name: "Written without Redis"}) '
            "{ id } }", as_user=ADMIN_ID,
        )).ok()  # fmt: skip
        after = (await a(RESTAURANT, {"id": "11"}, headers=ASK)).ok()
        assert after["restaurant"]["name"] == "Written without Redis"


def counted(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_hit_counts_as_cached_outside_the_window(fleet: tuple[GraphQL, GraphQL]) -> None:
    a, _ = fleet
    metrics = a.services.metrics
    health = HealthSource(metrics)
    await a(RESTAURANT, {"id": "11"})
    window = metrics.local_window(60)
    calls = {series: (cell.calls, cell.errors) for series, cell in window.items()}
    await metrics.flush()
    judged = await health("api_v4_restaurants", 60)
    requests = counted("jewgo_requests_total", {"type": "query", "outcome": "cached"})
    resolved = {"domain": "restaurants", "version": "v4", "outcome": "cached"}
    cached = counted("jewgo_resolver_calls_total", resolved)
    hit = await a(RESTAURANT, {"id": "11"}, headers=ASK)
    assert status(hit) == "HIT"
    after = metrics.local_window(60)
    # No execution: calls and errors (the error rate's terms) are as they were ...
    assert {series: (cell.calls, cell.errors) for series, cell in after.items()} == calls
    # ... and the answer counts as cached for each version that served it.
    for domain, version in hit.extensions["versions"].items():
        before = window[(domain, version)].extra.get(CACHED, 0)
        assert after[(domain, version)].extra.get(CACHED, 0) == before + 1
    assert counted("jewgo_requests_total", {"type": "query", "outcome": "cached"}) == requests + 1
    assert counted("jewgo_resolver_calls_total", resolved) == cached + 1
    # The controller's figures, fleet-wide through Redis: the same executions, one more
    # cached answer.
    await metrics.flush()
    now = await health("api_v4_restaurants", 60)
    assert (now.v4_calls, now.v4_errors) == (judged.v4_calls, judged.v4_errors)
    assert now.v4_cached == judged.v4_cached + 1


async def test_a_persisted_get_is_a_hit_with_the_same_etag(
    pg: Database, data_dir: Path, redis_url: str, namespace: str
) -> None:
    settings = options(redis_url, namespace, persisted_queries="apq")
    async with gateway_client(pg, data_dir, CACHED_V4, **settings) as a:
        query = '{ restaurant(id: "11") { id name } }'
        digest = hashlib.sha256(query.encode()).hexdigest()
        extensions = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": digest}})
        await a.http.post("/graphql", json={"query": query, "extensions": json.loads(extensions)})
        params = {"extensions": extensions}
        first = await a.http.get("/graphql", params=params, headers=ASK)
        second = await a.http.get("/graphql", params=params, headers=ASK)
        assert second.json()["extensions"]["cache"] == "HIT"
        assert second.json()["data"] == first.json()["data"]
        assert second.headers["etag"] == first.headers["etag"]
        assert second.headers["cache-control"].startswith("public")
        fresh = await a.http.get(
            "/graphql", params=params, headers={"If-None-Match": second.headers["etag"]}
        )
        assert fresh.status_code == 304


async def test_the_rate_limit_still_refuses_a_cached_answer(
    pg: Database, data_dir: Path, redis_url: str, namespace: str
) -> None:
    settings = options(redis_url, namespace, rate_limit_per_minute=3)
    async with gateway_client(pg, data_dir, CACHED_V4, **settings) as a:
        statuses = []
        for _ in range(4):
            reply = await a(RESTAURANT, {"id": "11"}, headers=ASK, touches=None)
            statuses.append((reply.status, status(reply)))
        assert statuses[:3] == [(200, "MISS"), (200, "HIT"), (200, "HIT")]
        assert statuses[3][0] == 429 and statuses[3][1] is None


async def test_malformed_bodies_are_answered_as_without_the_cache(
    fleet: tuple[GraphQL, GraphQL],
) -> None:
    a, _ = fleet
    headers = {"content-type": "application/json", **ASK}
    for body in (b"{", b'{"query": 5}', b'{"query": "{ me { id } }", "variables": 3}'):
        reply = await a.http.post("/graphql", content=body, headers=headers)
        assert reply.status_code == 400, body
        assert "cache" not in reply.json().get("extensions", {})
