"""Flags over GraphQL: decisions in force at once, stickiness, overrides, audit, rejections."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import (
    ADMIN_ID,
    MODERATOR_ID,
    OTHER_USER_ID,
    USER_ID,
    Database,
    GraphQL,
    gateway_client,
)

SET_STAGE = """mutation($name: String!, $stage: MigrationStage!, $force: Boolean! = false,
                        $expected: Int, $reason: String) {
  setFlagStage(name: $name, stage: $stage, force: $force, expectedVersion: $expected,
               reason: $reason) { name stage rolloutPercentage version updatedBy } }"""
SET_PERCENTAGE = """mutation($name: String!, $percentage: Float!, $expected: Int) {
  setRolloutPercentage(name: $name, percentage: $percentage, expectedVersion: $expected) {
    stage rolloutPercentage version } }"""
OVERRIDE = """mutation($name: String!, $user: ID!, $enabled: Boolean) {
  setUserOverride(name: $name, userId: $user, enabled: $enabled) {
    version userOverrides { userId enabled } } }"""
FLAG = """query($name: String!, $user: ID) { flag(name: $name) {
  name stage rolloutPercentage version envOverride userOverrides { userId enabled }
  decisionFor(userId: $user) mine: decisionFor
  history(first: 50) { action actor fromStage toStage fromPercentage toPercentage reason } } }"""
PROBE = "{ restaurants(first: 1) { totalCount } }"


@pytest.fixture
async def gql(fresh_db: Database, data_dir: Path) -> AsyncIterator[GraphQL]:
    async with gateway_client(fresh_db, data_dir, {}) as client:
        yield client


async def admin(gql: GraphQL, query: str, **variables: Any) -> Any:
    return (await gql(query, variables, as_user=ADMIN_ID)).ok()


async def jump(gql: GraphQL, name: str, stage: str) -> Any:
    """Straight to `stage` past the stages between: forced, with a reason."""
    return await admin(gql, SET_STAGE, name=name, stage=stage, force=True, reason="test setup")


async def served(gql: GraphQL, *, as_user: int | None = None, client: str | None = None) -> str:
    headers = {"X-Client-Id": client} if client else None
    reply = await gql(PROBE, as_user=as_user, headers=headers)
    reply.ok()
    return str(reply.extensions["versions"]["restaurants"])


async def test_the_migration_status_lists_every_flag(gql: GraphQL) -> None:
    status = await admin(
        gql,
        """{ migration { enabledFeatures totalFeatures migrationPercentage
             stages { disabled testing partial full complete }
             flags { name stage rolloutPercentage version } } }""",
    )
    migration = status["migration"]
    assert migration["totalFeatures"] == 8
    assert migration["enabledFeatures"] == 0
    assert migration["migrationPercentage"] == 0
    assert migration["stages"] == {
        "disabled": 8,
        "testing": 0,
        "partial": 0,
        "full": 0,
        "complete": 0,
    }
    assert [f["name"] for f in migration["flags"]][:2] == ["api_v4_enabled", "api_v4_restaurants"]


@pytest.mark.parametrize(("as_user", "code"), [(None, "UNAUTHENTICATED"), (USER_ID, "FORBIDDEN")])
async def test_flags_are_for_admins(gql: GraphQL, as_user: int | None, code: str) -> None:
    assert (await gql("{ migration { totalFeatures } }", as_user=as_user)).codes == [code]
    reply = await gql(SET_STAGE, {"name": "api_v4_enabled", "stage": "FULL"}, as_user=as_user)
    assert reply.codes == [code]


async def test_a_domain_needs_the_master_flag_too(gql: GraphQL) -> None:
    assert await served(gql) == "v3"
    await jump(gql, "api_v4_restaurants", "FULL")
    assert await served(gql) == "v3"  # the master flag is still DISABLED
    await jump(gql, "api_v4_enabled", "FULL")
    assert await served(gql) == "v4"  # in force on this instance at once
    reply = await gql("{ statistics { totalUsers } }")
    assert reply.extensions["versions"] == {"statistics": "v3"}


async def test_testing_serves_v4_to_staff_only(gql: GraphQL) -> None:
    await jump(gql, "api_v4_enabled", "FULL")
    await admin(gql, SET_STAGE, name="api_v4_restaurants", stage="TESTING")
    assert await served(gql, as_user=ADMIN_ID) == "v4"
    assert await served(gql, as_user=MODERATOR_ID) == "v4"
    assert await served(gql, as_user=USER_ID) == "v3"
    assert await served(gql) == "v3"


async def test_partial_is_sticky_per_user_and_per_client(gql: GraphQL) -> None:
    await jump(gql, "api_v4_enabled", "FULL")
    await jump(gql, "api_v4_restaurants", "PARTIAL")
    await admin(gql, SET_PERCENTAGE, name="api_v4_restaurants", percentage=50)
    for user in (USER_ID, OTHER_USER_ID, 5, 6):
        assert len({await served(gql, as_user=user) for _ in range(5)}) == 1
    clients = [f"device-{n}" for n in range(60)]
    first = [await served(gql, client=c) for c in clients]
    assert [await served(gql, client=c) for c in clients] == first
    assert 15 < first.count("v4") < 45


async def test_overrides_pick_a_users_version(gql: GraphQL) -> None:
    await jump(gql, "api_v4_enabled", "FULL")
    await admin(gql, SET_STAGE, name="api_v4_restaurants", stage="TESTING")
    flag = await admin(gql, OVERRIDE, name="api_v4_restaurants", user=str(USER_ID), enabled=True)
    assert flag["setUserOverride"]["userOverrides"] == [{"userId": str(USER_ID), "enabled": True}]
    assert await served(gql, as_user=USER_ID) == "v4"
    await admin(gql, OVERRIDE, name="api_v4_restaurants", user=str(ADMIN_ID), enabled=False)
    assert await served(gql, as_user=ADMIN_ID) == "v3"
    await admin(gql, OVERRIDE, name="api_v4_restaurants", user=str(USER_ID), enabled=None)
    assert await served(gql, as_user=USER_ID) == "v3"
    decided = await admin(gql, FLAG, name="api_v4_restaurants", user=str(MODERATOR_ID))
    assert decided["flag"]["decisionFor"] == "V4"
    assert decided["flag"]["mine"] == "V3"  # the calling admin is overridden to v3
    missing = await gql(FLAG, {"name": "api_v4_restaurants", "user": "999999"}, as_user=ADMIN_ID)
    assert missing.codes == ["NOT_FOUND"]


async def test_history_records_who_did_what_and_why(gql: GraphQL) -> None:
    await admin(gql, SET_STAGE, name="api_v4_users", stage="TESTING", reason="staff")
    await admin(gql, SET_STAGE, name="api_v4_users", stage="PARTIAL", reason="canary")
    await admin(gql, SET_PERCENTAGE, name="api_v4_users", percentage=5, expected=3)
    flag = (await admin(gql, FLAG, name="api_v4_users"))["flag"]
    assert flag["version"] == 4
    assert flag["history"] == [
        {"action": "SET_PERCENTAGE", "actor": f"user:{ADMIN_ID}", "fromStage": "PARTIAL",
         "toStage": "PARTIAL", "fromPercentage": 0.0, "toPercentage": 5.0, "reason": None},
        {"action": "SET_STAGE", "actor": f"user:{ADMIN_ID}", "fromStage": "TESTING",
         "toStage": "PARTIAL", "fromPercentage": 0.0, "toPercentage": 0.0, "reason": "canary"},
        {"action": "SET_STAGE", "actor": f"user:{ADMIN_ID}", "fromStage": "DISABLED",
         "toStage": "TESTING", "fromPercentage": 0.0, "toPercentage": 0.0, "reason": "staff"},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "variables", "as_user", "code"),
    [
        (SET_STAGE, {"name": "api_v5", "stage": "FULL"}, ADMIN_ID, "NOT_FOUND"),
        (SET_PERCENTAGE, {"name": "api_v4_users", "percentage": 150}, ADMIN_ID, "BAD_USER_INPUT"),
        (SET_PERCENTAGE, {"name": "api_v4_users", "percentage": -0.5}, ADMIN_ID, "BAD_USER_INPUT"),
        (SET_STAGE, {"name": "api_v4_users", "stage": "FULL"}, MODERATOR_ID, "FORBIDDEN"),
        (SET_STAGE, {"name": "api_v4_users", "stage": "FULL", "expected": 9}, ADMIN_ID, "CONFLICT"),
        (OVERRIDE, {"name": "api_v4_users", "user": "999999", "enabled": True}, ADMIN_ID,
         "BAD_USER_INPUT"),
        (SET_STAGE, {"name": "api_v4_users", "stage": "LIVE"}, ADMIN_ID, "BAD_USER_INPUT"),
        (SET_STAGE, {"name": "api_v4_users", "stage": "FULL", "reason": "r"}, ADMIN_ID,
         "BAD_USER_INPUT"),
        (SET_STAGE, {"name": "api_v4_users", "stage": "FULL", "force": True}, ADMIN_ID,
         "BAD_USER_INPUT"),
        ("mutation { rollback(reason: \"  \") { name } }", {}, ADMIN_ID, "BAD_USER_INPUT"),
    ],
)  # fmt: skip
async def test_a_rejected_change_changes_nothing_and_writes_no_event(
    gql: GraphQL, query: str, variables: dict[str, Any], as_user: int, code: str
) -> None:
    before = await admin(gql, FLAG, name="api_v4_users")
    reply = await gql(query, variables, as_user=as_user)
    assert reply.codes == [code]
    assert await admin(gql, FLAG, name="api_v4_users") == before


async def test_concurrent_stage_changes_from_one_version(gql: GraphQL) -> None:
    replies = await asyncio.gather(
        gql(
            SET_STAGE, {"name": "api_v4_users", "stage": "TESTING", "expected": 1}, as_user=ADMIN_ID
        ),
        gql(
            SET_STAGE,
            {"name": "api_v4_users", "stage": "FULL", "expected": 1, "force": True, "reason": "r"},
            as_user=ADMIN_ID,
        ),
    )
    assert sorted(code for r in replies for code in r.codes) == ["CONFLICT"]
    flag = (await admin(gql, FLAG, name="api_v4_users"))["flag"]
    assert len(flag["history"]) == 1 and flag["version"] == 2


async def test_rollback_everything_but_complete(gql: GraphQL) -> None:
    await jump(gql, "api_v4_enabled", "FULL")
    await jump(gql, "api_v4_restaurants", "COMPLETE")
    await jump(gql, "api_v4_reviews", "PARTIAL")
    rolled = await admin(gql, 'mutation { rollback(reason: "pager at 3am") { name stage } }')
    assert {f["name"] for f in rolled["rollback"]} == {
        "api_v4_enabled", "api_v4_reviews", "api_v4_users", "api_v4_statistics",
        "api_v4_cache", "api_v4_validation", "api_v4_error_handling",
    }  # fmt: skip
    assert {f["stage"] for f in rolled["rollback"]} == {"DISABLED"}
    assert await served(gql) == "v3"
    leave = await gql(SET_STAGE, {"name": "api_v4_restaurants", "stage": "FULL"}, as_user=ADMIN_ID)
    assert leave.codes == ["BAD_USER_INPUT"]
    forced = await admin(gql, SET_STAGE, name="api_v4_restaurants", stage="FULL", force=True)
    assert forced["setFlagStage"]["stage"] == "FULL"


START = """mutation($name: String!, $config: RolloutConfigInput, $lower: Boolean! = false) {
  startRollout(name: $name, config: $config, allowLowering: $lower) {
    state currentPercentage } }"""


async def test_a_rollout_starts_below_what_the_flag_serves_only_when_allowed(
    gql: GraphQL,
) -> None:
    await jump(gql, "api_v4_users", "PARTIAL")
    await admin(gql, SET_PERCENTAGE, name="api_v4_users", percentage=25)
    before = await admin(gql, FLAG, name="api_v4_users")
    refused = await gql(START, {"name": "api_v4_users"}, as_user=ADMIN_ID)  # 5 % by default
    assert refused.codes == ["BAD_USER_INPUT"]
    assert "starting at 5% sends 20% of callers back to v3" in refused.errors[0]["message"]
    assert await admin(gql, FLAG, name="api_v4_users") == before
    kept = await admin(gql, START, name="api_v4_users", config={"initialPercentage": 25})
    assert kept["startRollout"] == {"state": "RUNNING", "currentPercentage": 25.0}
    await admin(gql, 'mutation { stopRollout(name: "api_v4_users") { state } }')
    lowered = await admin(gql, START, name="api_v4_users", lower=True)
    assert lowered["startRollout"] == {"state": "RUNNING", "currentPercentage": 5.0}


async def test_a_rollout_that_requires_a_replay_is_refused_as_a_failed_precondition(
    gql: GraphQL,
) -> None:
    before = await admin(gql, FLAG, name="api_v4_reviews")
    config = {"requireReplay": True}
    refused = await gql(START, {"name": "api_v4_reviews", "config": config}, as_user=ADMIN_ID)
    assert refused.codes == ["FAILED_PRECONDITION"]  # as the schema's description says
    assert "has never been replayed" in refused.errors[0]["message"]
    assert await admin(gql, FLAG, name="api_v4_reviews") == before


async def test_the_same_user_gets_the_same_version_on_every_instance(
    fresh_db: Database, data_dir: Path
) -> None:
    async with (
        gateway_client(fresh_db, data_dir, {}) as one,
        gateway_client(fresh_db, data_dir, {}) as two,
    ):
        await jump(one, "api_v4_enabled", "FULL")
        await jump(one, "api_v4_restaurants", "PARTIAL")
        await admin(one, SET_PERCENTAGE, name="api_v4_restaurants", percentage=50)
        await two.services.flags.load()  # the poll's work, done now
        for user in range(3, 23):
            assert await served(one, as_user=user) == await served(two, as_user=user)
        for client in ("a", "b", "c", "d", "e", "f"):
            assert await served(one, client=client) == await served(two, client=client)
