"""usersAffected across processes: two instances' keys meet in Redis HyperLogLogs, counted
once however many instances and hours served them."""

from __future__ import annotations

from datetime import UTC, datetime

from redis.asyncio import Redis

from jewgo.flags.telemetry.reach import HOUR, Reach

START = 1_800_000_000.0


async def test_two_instances_count_the_union_of_their_callers_within_hll_error(
    redis_url: str, namespace: str
) -> None:
    now = [START]
    redis = Redis.from_url(redis_url)
    try:
        first, second = (Reach(redis, namespace=namespace, clock=lambda: now[0]) for _ in range(2))
        for n in range(3000):
            first.record("api_v4_restaurants", f"client:{n}")
        now[0] += HOUR
        for n in range(1000, 5000):  # 1000..2999 seen by both, in another hour
            second.record("api_v4_restaurants", f"client:{n}")
        second.record("api_v4_reviews", "client:1")
        await first.flush()
        await second.flush()
        since = datetime.fromtimestamp(START, UTC)
        counted = await first.count("api_v4_restaurants", since)
        assert abs(counted - 5000) <= 5000 * 0.03, counted  # HyperLogLog: 0.81 % standard
        assert await second.count("api_v4_reviews", since) == 1
        # Signed-in users apart from anonymous keys, fleet-wide as well.
        first.record("api_v4_users", "user:7")
        second.record("api_v4_users", "user:7")
        second.record("api_v4_users", "client:x")
        await first.flush()
        await second.flush()
        users = await first.affected("api_v4_users", since)
        assert (users.users, users.anonymous) == (1, 1)
        # Not only this process's: the first instance never saw 3000..4999.
        assert first.local_count("api_v4_restaurants", since) == 3000
    finally:
        keys = [key async for key in redis.scan_iter(f"{namespace}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
