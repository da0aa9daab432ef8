"""Metrics per domain and version, /metrics, readiness and the request log."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from jewgo.gateway.request.auth import Tokens
from tests.conftest import V4_EVERYWHERE, Templates, clone
from tests.support import (
    ADMIN_ID,
    JWT_SECRET,
    USER_ID,
    Database,
    GraphQL,
    base_env,
    free_port,
    gateway_client,
    serving,
)

METRICS = """query($name: String!) { flag(name: $name) { metrics { windowSeconds
  versions { version requests errors errorRatePercent p50Ms p95Ms p99Ms }
  shadow { comparisons matches mismatches candidateErrors recentMismatches } } } }"""


async def flag_metrics(gql: GraphQL, name: str) -> dict[str, Any]:
    reply = (await gql(METRICS, {"name": name}, as_user=ADMIN_ID)).ok()
    metrics: dict[str, Any] = reply["flag"]["metrics"]
    return metrics


def by_version(metrics: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["version"]: v for v in metrics["versions"]}


async def test_the_error_rate_counts_internal_errors_not_bad_input(
    fresh_db: Database, data_dir: Path
) -> None:
    # Confirmation off: the dropped table fails v3 too, which would make the errors shared.
    async with gateway_client(fresh_db, data_dir, V4_EVERYWHERE, confirm_concurrency=0) as gql:
        for n in range(8):
            (await gql("query($id: ID!) { review(id: $id) { id } }", {"id": str(n + 1)})).ok()
        bad = await gql('{ reviews(after: "not-a-cursor") { totalCount } }')
        assert bad.codes == ["BAD_USER_INPUT"]
        async with gql.services.engine.begin() as conn:
            await conn.execute(text("DROP TABLE reviews"))
        for _ in range(3):
            assert (await gql("{ reviews { totalCount } }")).codes == ["INTERNAL_SERVER_ERROR"]
        metrics = await flag_metrics(gql, "api_v4_reviews")
    assert metrics["windowSeconds"] == 300
    v4 = by_version(metrics)["V4"]
    assert (v4["requests"], v4["errors"]) == (12, 3)
    assert v4["errorRatePercent"] == pytest.approx(25.0)
    assert v4["p50Ms"] is not None and v4["p50Ms"] <= v4["p95Ms"] <= v4["p99Ms"]
    assert by_version(metrics)["V3"]["requests"] == 0
    assert metrics["shadow"]["comparisons"] == 0


async def test_the_master_flag_counts_every_domain(shared_db: Database, data_dir: Path) -> None:
    async with gateway_client(shared_db, data_dir, {}) as gql:
        (await gql("{ statistics { totalUsers } restaurants(first: 1) { totalCount } }")).ok()
        master = by_version(await flag_metrics(gql, "api_v4_enabled"))
        users = by_version(await flag_metrics(gql, "api_v4_users"))
    assert master["V3"]["requests"] == 2
    assert users["V3"]["requests"] == 0


async def test_two_instances_on_one_redis_see_the_same_counts(
    fresh_db: Database, data_dir: Path, redis_url: str, namespace: str
) -> None:
    options = {"redis_url": redis_url, "redis_namespace": namespace}
    async with (
        gateway_client(fresh_db, data_dir, V4_EVERYWHERE, **options) as one,
        gateway_client(fresh_db, data_dir, V4_EVERYWHERE, **options) as two,
    ):
        for _ in range(3):
            (await one("{ restaurants(first: 2) { totalCount } }")).ok()
        for _ in range(4):
            (await two("{ restaurants(first: 2) { totalCount } }")).ok()
        await one.services.metrics.flush()
        await two.services.metrics.flush()
        seen_by_one = await flag_metrics(one, "api_v4_restaurants")
        seen_by_two = await flag_metrics(two, "api_v4_restaurants")
    assert by_version(seen_by_one)["V4"]["requests"] == 7
    assert seen_by_one == seen_by_two


async def test_metrics_are_exposed_for_prometheus(shared_db: Database, data_dir: Path) -> None:
    async with gateway_client(shared_db, data_dir, V4_EVERYWHERE) as gql:
        (await gql("{ restaurants(first: 1) { totalCount } }")).ok()
        response = await gql.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.text
    for family in (
        "jewgo_requests_total",
        "jewgo_request_duration_seconds_bucket",
        'jewgo_resolver_calls_total{domain="restaurants",outcome="ok",version="v4"}',
        'jewgo_resolver_duration_seconds_bucket{domain="restaurants"',
        "jewgo_cache_lookups_total",
        "jewgo_cache_fallbacks_total",
        "jewgo_shadow_comparisons_total",
        "jewgo_sql_statements_per_request_bucket",
        'jewgo_flag_stage{flag="api_v4_enabled",stage="DISABLED"} 1.0',
        'jewgo_flag_rollout_percentage{flag="api_v4_reviews"} 0.0',
    ):
        assert family in body, family


async def test_ready_reports_each_component_and_fails_without_the_database(
    templates: Templates, tmp_path: Path, data_dir: Path
) -> None:
    database = await clone("postgres", templates, tmp_path)
    async with gateway_client(database, data_dir, {}) as gql:
        ready = (await gql.http.get("/ready")).json()
        assert {c["name"]: c["status"] for c in ready["components"]} == {
            "database": "ok",
            "cache": "ok",
            "flags": "ok",
            "rollouts": "ok",
            "callers": "ok",
        }
        health = (
            await gql("{ migration { health { name status detail } } }", as_user=ADMIN_ID)
        ).ok()
        names = [c["name"] for c in health["migration"]["health"]]
        assert names == ["database", "cache", "flags", "rollouts", "callers"]
        await database.close()  # drops the database under the running gateway
        gone = await gql.http.get("/ready")
        assert gone.status_code == 503
        assert gone.json()["components"][0]["status"] == "down"
        reply = await gql("{ restaurants { totalCount } }")
        assert reply.status == 200 and reply.codes == ["INTERNAL_SERVER_ERROR"]


@pytest.mark.slow
async def test_one_json_log_line_per_request(templates: Templates, tmp_path: Path) -> None:
    database = await clone("postgres", templates, tmp_path)
    try:
        await asyncio.to_thread(logged_requests, database, tmp_path)
    finally:
        await database.close()


def logged_requests(database: Database, tmp_path: Path) -> None:
    port = free_port()
    jewgo = str(Path(sys.executable).parent / "jewgo")
    env = base_env(DATABASE_URL=database.url, LOG_LEVEL="INFO")
    token = Tokens(JWT_SECRET, 3600).issue(USER_ID)
    with serving([jewgo, "serve", "--port", str(port)], env, tmp_path, port) as server:
        reply = httpx.post(
            f"{server.url}/graphql",
            json={"query": "query Mine { me { id } reviews(first: 1) { totalCount } }"},
            headers={"Authorization": f"Bearer {token}", "X-Request-Id": "log-check-1"},
            timeout=10,
        )
        assert reply.headers["x-request-id"] == "log-check-1"
        httpx.post(f"{server.url}/graphql", json={"query": "{ nope }"}, timeout=10)
    lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("event") == "graphql request"]
    mine = next(line for line in requests if line["request_id"] == "log-check-1")
    assert mine["user_id"] == USER_ID
    assert mine["operation"] == "Mine" and mine["type"] == "query"
    assert mine["versions"] == {"users": "v3", "reviews": "v3"}
    assert mine["errors"] == [] and mine["status"] == 200
    assert mine["duration_ms"] > 0 and mine["sql_statements"] >= 2
    assert mine["level"] == "info" and "timestamp" in mine
    failed = next(line for line in requests if line["request_id"] != "log-check-1")
    assert failed["errors"] == ["BAD_USER_INPUT"]


async def test_an_undeclared_proxy_is_a_warning_on_ready_and_in_the_migrations_health(
    shared_db: Database, data_dir: Path
) -> None:
    """Anonymous requests that all come from one address yet carry 120 client ids: a proxy
    forwards them and FORWARDED_ALLOW_IPS does not name it. Still ready, but said."""
    async with gateway_client(shared_db, data_dir, {}, rate_limit_per_minute=0) as gql:
        for n in range(120):
            reply = await gql.http.post(
                "/graphql",
                json={"query": "{ __typename }"},
                headers={"X-Client-Id": f"device-{n}"},
            )
            assert reply.status_code == 200
        ready = await gql.http.get("/ready")
        assert ready.status_code == 200
        callers = next(c for c in ready.json()["components"] if c["name"] == "callers")
        assert callers["status"] == "warning"
        assert "set FORWARDED_ALLOW_IPS" in callers["detail"]
        health = (
            await gql("{ migration { health { name status detail } } }", as_user=ADMIN_ID)
        ).ok()
        shown = {c["name"]: c for c in health["migration"]["health"]}
        assert shown["callers"]["status"] == "warning"
