"""usersAffected without Redis: exact distinct keys per flag since a time, by the hour,
bounded; and how many known users the percentages select."""

from __future__ import annotations

from datetime import UTC, datetime

from jewgo.flags.stages import FLAG_NAMES, Stage
from jewgo.flags.summary import selected_users
from jewgo.flags.telemetry.reach import HOUR, Reach
from tests.flag_snapshots import snapshot

START = 1_800_000_000.0  # on an hour boundary


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


async def test_distinct_keys_per_flag_since_the_hour_a_rollout_started() -> None:
    clock = Clock()
    reach = Reach(clock=clock)
    for key in ("a", "b", "a", "c"):
        reach.record("api_v4_restaurants", key)
    reach.record("api_v4_reviews", "a")
    clock.now += HOUR
    for key in ("c", "d"):
        reach.record("api_v4_restaurants", key)
    assert await reach.count("api_v4_restaurants", at(START)) == 4  # a b c d, c once
    assert await reach.count("api_v4_restaurants", at(START + HOUR)) == 2
    assert await reach.count("api_v4_reviews", at(START)) == 1
    assert await reach.count("api_v4_users", at(START)) == 0
    # A start in the future (a clock skew) counts the current hour.
    assert await reach.count("api_v4_restaurants", at(START + 10 * HOUR)) == 2


async def test_the_local_sets_are_bounded() -> None:
    reach = Reach(max_local_keys=10, clock=Clock())
    for n in range(50):
        reach.record("api_v4_restaurants", f"k{n}")
    assert await reach.count("api_v4_restaurants", at(START)) == 10


def test_known_users_selected_by_the_percentages() -> None:
    users = [(n, "USER") for n in range(1, 1001)] + [(5000, "ADMIN")]
    nothing = selected_users(snapshot(), users)
    assert set(nothing.values()) == {0}
    half = snapshot({
        "api_v4_enabled": (Stage.FULL, 100.0),
        "api_v4_restaurants": (Stage.PARTIAL, 50.0),
        "api_v4_reviews": (Stage.TESTING, 0.0),
        "api_v4_users": (Stage.COMPLETE, 100.0),
    })  # fmt: skip
    found = selected_users(half, users)
    assert 430 <= found["api_v4_restaurants"] <= 570  # the bucket function: about half
    assert found["api_v4_reviews"] == 1  # TESTING: staff only
    assert found["api_v4_users"] == 1001
    assert found["api_v4_statistics"] == 0
    assert set(found) == set(FLAG_NAMES[1:5])


async def test_signed_in_users_and_anonymous_callers_are_counted_apart() -> None:
    """A user id comes from a verified token; a client id or an address is the caller's to
    invent, so the operator sees which number one caller could inflate."""
    reach = Reach(clock=Clock())
    for n in range(300):
        reach.record("api_v4_reviews", f"client:made-up-{n}")
    reach.record("api_v4_reviews", "address:10.0.0.1")
    for user in ("user:1", "user:2", "user:1"):
        reach.record("api_v4_reviews", user)
    found = await reach.affected("api_v4_reviews", at(START))
    assert (found.users, found.anonymous, found.total) == (2, 301, 303)
    assert await reach.count("api_v4_reviews", at(START)) == 303
