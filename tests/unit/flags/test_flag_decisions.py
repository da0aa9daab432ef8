"""decide(): every row of SPEC §4's rules, bucketing, nesting, and never raising."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jewgo.flags.decide import Subject, bucket, decide, stickiness_key
from jewgo.flags.env import EnvOverride
from jewgo.flags.snapshot import Snapshot
from jewgo.flags.stages import Decision, Reason, Stage, Variant
from tests.flag_snapshots import SALT, snapshot

FLAG = "api_v4_restaurants"
V3, V4 = Variant.V3, Variant.V4
USER_ID = 7


def subject(user_id: int | None = USER_ID, staff: bool = False, key: str | None = None) -> Subject:
    return Subject(user_id, staff, key or stickiness_key(user_id, None, "10.0.0.1"), SALT)


def key_in(percentage: float, inside: bool) -> str:
    """A stickiness key whose bucket is inside (or outside) `percentage`."""
    for n in range(10_000):
        key = f"client:{n}"
        if (bucket(SALT, key) < percentage) is inside:
            return key
    raise AssertionError("no such key")


IN_40, OUT_40 = key_in(40, True), key_in(40, False)

# (stage, percentage, env, db override of user 7, caller: (user_id, staff, key)) → decision
ROWS = [
    # 1. environment forces win over everything
    (Stage.DISABLED, 0, EnvOverride(forced=True), None, (USER_ID, False, None), (V4, Reason.ENV)),
    (Stage.COMPLETE, 0, EnvOverride(forced=False), None, (USER_ID, True, None), (V3, Reason.ENV)),
    (Stage.PARTIAL, 100, EnvOverride(forced=False), True, (USER_ID, False, None), (V3, Reason.ENV)),
    # 2. COMPLETE and DISABLED, whoever asks and whatever the overrides
    (Stage.COMPLETE, 0, None, False, (USER_ID, False, None), (V4, Reason.STATIC)),
    (Stage.DISABLED, 100, None, True, (USER_ID, True, None), (V3, Reason.DISABLED)),
    (Stage.DISABLED, 0, EnvOverride(users={USER_ID: True}), None, (USER_ID, False, None),
     (V3, Reason.DISABLED)),
    # 3. user overrides: the environment's, then the database's
    (Stage.TESTING, 0, None, True, (USER_ID, False, None), (V4, Reason.OVERRIDE)),
    (Stage.TESTING, 0, None, False, (USER_ID, True, None), (V3, Reason.OVERRIDE)),
    (Stage.PARTIAL, 100, None, False, (USER_ID, False, None), (V3, Reason.OVERRIDE)),
    (Stage.FULL, 0, None, False, (USER_ID, False, None), (V3, Reason.OVERRIDE)),
    (Stage.PARTIAL, 0, EnvOverride(users={USER_ID: True}), False, (USER_ID, False, None),
     (V4, Reason.OVERRIDE)),
    (Stage.TESTING, 0, None, True, (None, False, None), (V3, Reason.DEFAULT)),  # anonymous
    # 4. TESTING: staff only
    (Stage.TESTING, 0, None, None, (USER_ID, True, None), (V4, Reason.TARGETING_MATCH)),
    (Stage.TESTING, 0, None, None, (USER_ID, False, None), (V3, Reason.DEFAULT)),
    (Stage.TESTING, 0, None, None, (None, False, None), (V3, Reason.DEFAULT)),
    # 5. PARTIAL: the bucket against the percentage, which the environment may replace
    (Stage.PARTIAL, 40, None, None, (None, False, IN_40), (V4, Reason.SPLIT)),
    (Stage.PARTIAL, 40, None, None, (None, False, OUT_40), (V3, Reason.SPLIT)),
    (Stage.PARTIAL, 40, None, None, (None, True, OUT_40), (V3, Reason.SPLIT)),  # staff too
    (Stage.PARTIAL, 0, None, None, (None, False, IN_40), (V3, Reason.SPLIT)),
    (Stage.PARTIAL, 100, None, None, (None, False, OUT_40), (V4, Reason.SPLIT)),
    (Stage.PARTIAL, 0, EnvOverride(percentage=40), None, (None, False, IN_40), (V4, Reason.SPLIT)),
    (Stage.PARTIAL, 100, EnvOverride(percentage=40), None, (None, False, OUT_40),
     (V3, Reason.SPLIT)),
    (Stage.FULL, 0, EnvOverride(percentage=0), None, (None, False, OUT_40), (V4, Reason.STATIC)),
    # 6. FULL: everyone
    (Stage.FULL, 0, None, None, (None, False, None), (V4, Reason.STATIC)),
]  # fmt: skip


@pytest.mark.parametrize(("stage", "percentage", "env", "override", "caller", "expected"), ROWS)
def test_decision_rules(
    stage: Stage,
    percentage: float,
    env: EnvOverride | None,
    override: bool | None,
    caller: tuple[int | None, bool, str | None],
    expected: tuple[Variant, Reason],
) -> None:
    snap = snapshot(
        {FLAG: (stage, float(percentage))},
        overrides={FLAG: {USER_ID: override}} if override is not None else None,
        env={FLAG: env} if env is not None else None,
    )
    user_id, staff, key = caller
    assert decide(snap, FLAG, subject(user_id, staff, key)) == Decision(*expected)


def test_any_fault_answers_v3_with_reason_error() -> None:
    broken = Snapshot(flags={}, overrides={}, env={}, salt=SALT, revision=1)
    assert decide(broken, FLAG, subject()) == Decision(V3, Reason.ERROR)
    assert decide(snapshot(), "no_such_flag", subject()) == Decision(V3, Reason.ERROR)


@pytest.mark.parametrize("percentage", [1, 5, 25, 50])
def test_buckets_split_100000_keys_within_half_a_point(percentage: float) -> None:
    inside = sum(bucket(SALT, f"user:{n}") < percentage for n in range(100_000))
    assert abs(inside / 1000 - percentage) <= 0.5


def test_buckets_are_in_steps_of_a_hundredth_of_a_percent() -> None:
    values = {bucket(SALT, f"client:{n}") for n in range(20_000)}
    assert min(values) >= 0 and max(values) < 100
    assert all(v == round(v, 2) for v in values)
    assert len(values) > 8_000


def test_buckets_are_stable_across_processes_and_hash_seeds() -> None:
    code = "from flags.decide import bucket; print(repr(bucket('s', 'user:42')))"
    seen = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2", "3")
    }
    assert seen == {repr(bucket("s", "user:42"))}


@given(
    key=st.text(min_size=1, max_size=30),
    low=st.floats(min_value=0, max_value=100),
    high=st.floats(min_value=0, max_value=100),
)
def test_raising_the_percentage_never_moves_anyone_back_to_v3(
    key: str, low: float, high: float
) -> None:
    low, high = sorted((low, high))
    who = Subject(None, False, key, SALT)
    at_low = decide(snapshot({FLAG: (Stage.PARTIAL, low)}), FLAG, who)
    at_high = decide(snapshot({FLAG: (Stage.PARTIAL, high)}), FLAG, who)
    assert not (at_low.variant is V4 and at_high.variant is V3)


@given(key=st.text(min_size=1, max_size=30), percentage=st.floats(min_value=0, max_value=100))
def test_every_flag_at_one_percentage_picks_the_same_callers(key: str, percentage: float) -> None:
    snap = snapshot(
        dict.fromkeys(("api_v4_enabled", FLAG, "api_v4_users"), (Stage.PARTIAL, percentage))
    )
    who = Subject(None, False, key, SALT)
    variants = {
        decide(snap, name, who).variant for name in ("api_v4_enabled", FLAG, "api_v4_users")
    }
    assert len(variants) == 1


def test_the_stickiness_key_is_the_user_then_the_client_then_the_address() -> None:
    assert stickiness_key(5, "phone-1", "10.0.0.1") == "user:5"
    assert stickiness_key(None, "phone-1", "10.0.0.1") == "client:phone-1"
    assert stickiness_key(None, None, "10.0.0.1") == "address:10.0.0.1"
    assert stickiness_key(None, "", None) == "address:unknown"


def test_the_bucket_is_computed_once_per_subject() -> None:
    who = Subject(None, False, "client:x", SALT)
    first = who.bucket
    who.key = "client:changed"  # the cached bucket stays for the request's life
    assert who.bucket == first
