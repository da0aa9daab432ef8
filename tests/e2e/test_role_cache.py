"""The role cache through two gateways on PostgreSQL and Redis: a signed-in HIT reads
nothing from the database, and a role changed or a user deleted on one instance takes
effect on the other at once (through the response cache's purge channel), not after
ROLE_CACHE_SECONDS, which the tests here set to an hour to show it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from tests.conftest import V4_EVERYWHERE, Templates, clone
from tests.e2e.test_response_cache import options as response_cache_options
from tests.support import ADMIN_ID, OTHER_USER_ID, Database, GraphQL, RedisProcess, eventually
from tests.support import gateway_client as client

CACHED_V4 = {**V4_EVERYWHERE, "API_V4_CACHE": "true"}
ASK = {"X-Response-Cache": "1"}
PAGE = '{ restaurant(id: "11") { id name reviews(first: 2) { edges { node { id } } } } }'
USERS = "{ users(first: 1) { edges { node { id } } } }"
ROLE = "mutation($id: ID!, $role: UserRole!) { updateUserRole(id: $id, role: $role) { role } }"
LONG = 3600.0  # no TTL expiry during a test: what is seen, is seen through a purge


@pytest.fixture
async def pg(templates: Templates, tmp_path: Path) -> AsyncIterator[Database]:
    database = await clone("postgres", templates, tmp_path)
    yield database
    await database.close()


def options(redis_url: str, namespace: str, **extra: Any) -> dict[str, Any]:
    """The response cache's test options, with a role cache that never expires here.
    (tests.support gives Redis 2 s: a slow call on a loaded machine opens no breaker.)"""
    return response_cache_options(redis_url, namespace, role_cache_seconds=LONG, **extra)


@pytest.fixture
async def fleet(
    pg: Database, data_dir: Path, redis_url: str, namespace: str
) -> AsyncIterator[tuple[GraphQL, GraphQL]]:
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(
            client(pg, data_dir, CACHED_V4, **options(redis_url, namespace))
        )
        b = await stack.enter_async_context(
            client(pg, data_dir, CACHED_V4, **options(redis_url, namespace))
        )
        yield a, b


def statements() -> float:
    return REGISTRY.get_sample_value("jewgo_sql_statements_per_request_sum") or 0.0


async def lists_users(gateway: GraphQL, user_id: int) -> list[str]:
    return (await gateway(USERS, as_user=user_id, touches=("users",))).codes


async def test_a_signed_in_hit_reads_nothing_from_the_database(
    fleet: tuple[GraphQL, GraphQL],
) -> None:
    a, _ = fleet
    await a(PAGE, as_user=OTHER_USER_ID)
    await a(PAGE, as_user=OTHER_USER_ID, headers=ASK)  # the role is held from here on
    before = statements()
    hit = await a(PAGE, as_user=OTHER_USER_ID, headers=ASK)
    assert hit.extensions["cache"] == "HIT"
    assert statements() == before


async def test_callers_of_one_user_wait_for_one_read_of_the_role(
    fleet: tuple[GraphQL, GraphQL],
) -> None:
    a, _ = fleet
    before = statements()
    replies = await asyncio.gather(
        *(a("{ __typename }", as_user=OTHER_USER_ID, touches=()) for _ in range(16))
    )
    assert all(reply.ok() == {"__typename": "Query"} for reply in replies)
    assert statements() == before + 1


async def test_a_role_demoted_on_b_is_seen_on_a(fleet: tuple[GraphQL, GraphQL]) -> None:
    a, b = fleet
    (await b(ROLE, {"id": str(OTHER_USER_ID), "role": "ADMIN"}, as_user=ADMIN_ID)).ok()
    assert await lists_users(a, OTHER_USER_ID) == []  # A holds the role ADMIN now
    (await b(ROLE, {"id": str(OTHER_USER_ID), "role": "USER"}, as_user=ADMIN_ID)).ok()

    async def refused() -> bool:
        return await lists_users(a, OTHER_USER_ID) == ["FORBIDDEN"]

    await eventually(refused, within=5)


async def test_a_user_deleted_on_b_is_refused_on_a(fleet: tuple[GraphQL, GraphQL]) -> None:
    a, b = fleet
    assert (await a(PAGE, as_user=OTHER_USER_ID)).ok()
    deleted = await b(
        "mutation($id: ID!) { deleteUser(id: $id) }", {"id": str(OTHER_USER_ID)}, as_user=ADMIN_ID
    )
    deleted.ok()

    async def refused() -> bool:
        reply = await a(PAGE, as_user=OTHER_USER_ID, touches=())
        return reply.codes == ["UNAUTHENTICATED"]

    await eventually(refused, within=5)


async def test_own_writes_forget_the_role_at_once_with_redis_down(
    pg: Database, data_dir: Path, own_redis: RedisProcess, namespace: str
) -> None:
    settings = options(own_redis.url, namespace, redis_timeout_seconds=0.2)
    async with client(pg, data_dir, CACHED_V4, **settings) as a:
        (await a(ROLE, {"id": str(OTHER_USER_ID), "role": "ADMIN"}, as_user=ADMIN_ID)).ok()
        assert await lists_users(a, OTHER_USER_ID) == []
        own_redis.kill()
        (await a(ROLE, {"id": str(OTHER_USER_ID), "role": "USER"}, as_user=ADMIN_ID)).ok()
        assert await lists_users(a, OTHER_USER_ID) == ["FORBIDDEN"]
