"""The v4 cache through the gateway: invalidated by every write, alive through a dead Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from tests.conftest import V4_EVERYWHERE
from tests.support import (
    ADMIN_ID,
    MODERATOR_ID,
    USER_ID,
    Database,
    GraphQL,
    RedisProcess,
    eventually,
    gateway_client,
)

CACHED_V4 = {**V4_EVERYWHERE, "API_V4_CACHE": "true"}
RESTAURANT = """query($id: ID!) { restaurant(id: $id) { id name city averageRating reviewCount
  reviews(first: 5) { totalCount edges { node { id rating author { name } } } } } }"""
PAGE = """{ restaurants(first: 10, orderBy: RATING) { totalCount
  edges { node { id name averageRating reviewCount reviews(first: 3) { edges { node {
  id author { name } } } } } } } statistics { totalReviews approvedReviews averageRating } }"""


def lookups(layer: str, result: str) -> float:
    value = REGISTRY.get_sample_value(
        "jewgo_cache_lookups_total", {"layer": layer, "result": result}
    )
    return value or 0.0


@pytest.fixture(params=["redis", "memory"])
async def cached(
    request: pytest.FixtureRequest,
    fresh_db: Database,
    data_dir: Path,
    redis_url: str,
    namespace: str,
) -> AsyncIterator[GraphQL]:
    """A gateway serving v4 with the cache on: through Redis, or memory alone."""
    options: dict[str, Any] = {}
    if request.param == "redis":
        options = {
            "redis_url": redis_url,
            "redis_namespace": namespace,
        }
    async with gateway_client(fresh_db, data_dir, CACHED_V4, **options) as client:
        yield client


async def test_a_write_through_v3_is_seen_by_a_cached_v4_read(cached: GraphQL) -> None:
    target = "11"
    before = (await cached(RESTAURANT, {"id": target})).ok()["restaurant"]
    assert (await cached(RESTAURANT, {"id": target})).ok()["restaurant"] == before  # cached
    v3 = {"X-Resolver-Version": "v3"}

    renamed = await cached(
        'mutation($id: ID!) { updateRestaurant(id: $id, input: {name: "Renamed by v3"}) { id } }',
        {"id": target},
        as_user=ADMIN_ID,
        headers=v3,
    )
    assert renamed.extensions["versions"] == {"restaurants": "v3"}
    review = await cached(
        "mutation($id: ID!) { createReview(input: {restaurantId: $id, rating: 1, "
        'content: "Written through v3"}) { id } }',
        {"id": target},
        as_user=USER_ID,
    )
    review_id = review.ok()["createReview"]["id"]
    await cached(
        "mutation($id: ID!) { moderateReview(id: $id, status: APPROVED) { id } }",
        {"id": review_id},
        as_user=ADMIN_ID,
        headers=v3,
    )
    after = await cached(RESTAURANT, {"id": target})
    assert after.extensions["versions"] == {"restaurants": "v4", "reviews": "v4", "users": "v4"}
    restaurant = after.ok()["restaurant"]
    assert restaurant["name"] == "Renamed by v3"
    assert restaurant["reviewCount"] == before["reviewCount"] + 1
    assert restaurant["reviews"]["edges"][0]["node"]["id"] == review_id
    assert restaurant["reviews"]["totalCount"] == before["reviews"]["totalCount"] + 1


async def test_lists_and_statistics_follow_every_write(cached: GraphQL) -> None:
    before = (await cached(PAGE)).ok()
    assert (await cached(PAGE)).ok() == before
    top = before["restaurants"]["edges"][0]["node"]
    (await cached(
        'mutation($id: ID!) { deleteRestaurant(id: $id) }', {"id": top["id"]}, as_user=ADMIN_ID,
        headers={"X-Resolver-Version": "v3"},
    )).ok()  # fmt: skip
    after = (await cached(PAGE)).ok()
    assert top["id"] not in [e["node"]["id"] for e in after["restaurants"]["edges"]]
    assert after["restaurants"]["totalCount"] == before["restaurants"]["totalCount"] - 1
    removed = top["reviewCount"]
    assert (
        after["statistics"]["approvedReviews"] == before["statistics"]["approvedReviews"] - removed
    )


async def test_a_users_role_and_count_follow_writes(cached: GraphQL) -> None:
    query = (
        '{ user(id: "5") { role reviewCount } users(first: 100) { edges { node { id role } } } }'
    )
    before = (await cached(query, as_user=ADMIN_ID)).ok()
    (await cached(
        'mutation { updateUserRole(id: "5", role: MODERATOR) { id } }', as_user=ADMIN_ID,
        headers={"X-Resolver-Version": "v3"},
    )).ok()  # fmt: skip
    after = (await cached(query, as_user=ADMIN_ID)).ok()
    assert after["user"] == {"role": "MODERATOR", "reviewCount": before["user"]["reviewCount"]}
    roles = {e["node"]["id"]: e["node"]["role"] for e in after["users"]["edges"]}
    assert roles["5"] == "MODERATOR"


async def test_hits_and_misses_are_counted(
    fresh_db: Database, data_dir: Path, redis_url: str, namespace: str
) -> None:
    async with gateway_client(
        fresh_db, data_dir, CACHED_V4, redis_url=redis_url, redis_namespace=namespace
    ) as gql:
        hits, misses = lookups("redis", "hit"), lookups("redis", "miss")
        (await gql(RESTAURANT, {"id": "12"})).ok()
        assert lookups("redis", "miss") > misses
        assert lookups("redis", "hit") == hits
        missed = lookups("redis", "miss")
        (await gql(RESTAURANT, {"id": "12"})).ok()
        assert lookups("redis", "miss") == missed
        assert lookups("redis", "hit") > hits


async def test_the_cache_flag_switches_the_layer(
    fresh_db: Database, data_dir: Path, redis_url: str, namespace: str
) -> None:
    async with gateway_client(
        fresh_db, data_dir, V4_EVERYWHERE, redis_url=redis_url, redis_namespace=namespace
    ) as gql:
        before = lookups("redis", "hit") + lookups("redis", "miss")
        for _ in range(3):
            (await gql(RESTAURANT, {"id": "12"})).ok()
        assert lookups("redis", "hit") + lookups("redis", "miss") == before


async def test_no_request_fails_while_redis_dies_and_the_cache_returns_after(
    fresh_db: Database, data_dir: Path, own_redis: RedisProcess, namespace: str
) -> None:
    async with gateway_client(
        fresh_db, data_dir, CACHED_V4, redis_url=own_redis.url, redis_namespace=namespace,
        cache_retry_seconds=0.5, redis_timeout_seconds=0.2,
    ) as gql:  # fmt: skip

        async def burst(count: int) -> list[Any]:
            replies = []
            for start in range(0, count, 10):
                replies += await asyncio.gather(
                    *(gql(PAGE if n % 2 else RESTAURANT, {"id": str(n % 40 + 1)})
                      for n in range(start, start + 10))
                )  # fmt: skip
            return replies

        async def cache_status() -> str:
            ready = (await gql.http.get("/ready")).json()
            assert ready["status"] == "ok"
            return str(next(c for c in ready["components"] if c["name"] == "cache")["status"])

        first = await burst(100)
        assert await cache_status() == "ok"
        assert own_redis.keys() > 0
        own_redis.kill()
        second = await burst(100)
        for reply in first + second:
            assert reply.status == 200 and not reply.errors, reply.body
        assert await cache_status() == "degraded"

        own_redis.start()
        third: list[Any] = []

        async def back_on_redis() -> bool:
            # After CACHE_RETRY_SECONDS a request tries Redis again and closes the breaker.
            third.extend(await burst(10))
            return await cache_status() == "ok"

        await eventually(back_on_redis)
        third += await burst(20)
        assert all(not r.errors for r in third)
        assert own_redis.keys() > 0  # the cache is in Redis again


WAITED: ContextVar[list[float] | None] = ContextVar("waited_on_redis", default=None)


@pytest.fixture
def redis_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Adds the seconds each Redis call takes to the list in WAITED (one per request)."""
    for owner in (Redis, Pipeline):
        method = "execute_command" if owner is Redis else "execute"
        real = getattr(owner, method)

        async def timed(self: Any, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
            started = time.monotonic()
            try:
                return await _real(self, *args, **kwargs)
            finally:
                waits = WAITED.get()
                if waits is not None:
                    waits.append(time.monotonic() - started)

        monkeypatch.setattr(owner, method, timed)


@pytest.mark.usefixtures("redis_waits")
async def test_a_frozen_redis_holds_no_request_longer_than_its_timeout(
    fresh_db: Database, data_dir: Path, own_redis: RedisProcess, namespace: str
) -> None:
    timeout = 0.2
    async with gateway_client(
        fresh_db, data_dir, CACHED_V4, redis_url=own_redis.url, redis_namespace=namespace,
        cache_retry_seconds=0.3, redis_timeout_seconds=timeout,
    ) as gql:  # fmt: skip
        for n in range(10):
            (await gql(PAGE, {"id": str(n + 1)})).ok()
        own_redis.freeze()
        per_request: list[float] = []
        try:
            deadline = time.monotonic() + 2.0  # several retries of the breaker

            async def client(n: int) -> None:
                while time.monotonic() < deadline:
                    waits: list[float] = []
                    WAITED.set(waits)  # this task's requests (the ASGI app runs in it)
                    reply = await gql(PAGE if n % 2 else RESTAURANT, {"id": str(n + 1)})
                    assert reply.status == 200 and not reply.errors, reply.body
                    per_request.append(sum(waits))

            await asyncio.gather(*(client(n) for n in range(4)))
        finally:
            own_redis.thaw()
        longest = max(per_request)
        print(f"\n{len(per_request)} requests; the longest wait on Redis: {longest * 1000:.0f} ms")
        # At most one Redis call per request meets the timeout (plus the loop's own delay).
        assert longest < timeout + 0.15, longest

        async def recovered() -> bool:
            ready = (await gql.http.get("/ready")).json()
            return bool({c["name"]: c["status"] for c in ready["components"]}["cache"] == "ok")

        await eventually(recovered)


async def test_moderators_pending_reviews_are_not_served_to_others_from_the_cache(
    cached: GraphQL,
) -> None:
    query = "{ reviews(first: 5, filter: {status: PENDING}) { totalCount } }"
    staff = (await cached(query, as_user=MODERATOR_ID)).ok()["reviews"]["totalCount"]
    assert staff > 0
    assert (await cached(query)).ok()["reviews"]["totalCount"] == 0
    mine = (await cached(query, as_user=USER_ID)).ok()["reviews"]["totalCount"]
    assert mine < staff


async def test_two_instances_hold_near_copies_and_see_each_others_writes(
    fresh_db: Database, data_dir: Path, redis_url: str, namespace: str
) -> None:
    """A page read twice on A comes from A's near tier; a v3 write on B drops it there
    (announced through Redis), and A's next reads show the write."""
    options = {"redis_url": redis_url, "redis_namespace": namespace}
    async with (
        gateway_client(fresh_db, data_dir, CACHED_V4, **options) as a,
        gateway_client(fresh_db, data_dir, CACHED_V4, **options) as b,
    ):
        for _ in range(2):  # loaded, then read from Redis
            before = (await a(PAGE)).ok()
        near = lookups("near", "hit")
        assert (await a(PAGE)).ok() == before
        assert lookups("near", "hit") > near
        target = before["restaurants"]["edges"][0]["node"]["id"]
        renamed = await b(
            'mutation($id: ID!) { updateRestaurant(id: $id, input: {name: "Renamed on B"}) '
            "{ id } }",
            {"id": target},
            as_user=ADMIN_ID,
            headers={"X-Resolver-Version": "v3"},
        )
        assert renamed.extensions["versions"] == {"restaurants": "v3"}

        async def shows_the_write() -> bool:
            first = (await a(PAGE)).ok()["restaurants"]["edges"][0]["node"]
            return bool(first["name"] == "Renamed on B")

        await eventually(shows_the_write, within=5)
