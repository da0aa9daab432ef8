"""An admin ignores a field in a flag's shadow comparisons, with a reason (issue 15,
part 3): the field stops counting, the ignore is listed on the flag and in its audit log,
and taking it back makes the field count again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from jewgo.gateway.verification.shadow import Shadow
from tests.e2e.skews import one_star_more, skew_v4_restaurants
from tests.support import ADMIN_ID, USER_ID, Database, GraphQL, gateway_client

QUERY = "{ restaurants(first: 3) { edges { node { name averageRating } } } }"
SHADOW = """{ flag(name: "api_v4_restaurants") { shadowIgnores { target reason }
  history(first: 2) { action actor reason }
  metrics { shadow { comparisons matches mismatches ignored } } } }"""
IGNORE = """mutation($target: String!, $reason: String!) {
  ignoreShadowField(name: "api_v4_restaurants", target: $target, reason: $reason) {
    shadowIgnores { target } } }"""
UNIGNORE = """mutation($target: String!) {
  unignoreShadowField(name: "api_v4_restaurants", target: $target) { shadowIgnores { target } } }"""


@pytest.fixture
async def skewed(
    fresh_db: Database, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[GraphQL]:
    """v4 rates every restaurant one star higher; the shadow compares every read."""
    skew_v4_restaurants(monkeypatch, one_star_more)
    async with gateway_client(
        fresh_db, data_dir, {"API_V4_ENABLED": "true"}, shadow_sample_rate=1.0
    ) as gql:
        (await gql(
            'mutation { setFlagStage(name: "api_v4_restaurants", stage: TESTING) { stage } }',
            as_user=ADMIN_ID,
        )).ok()  # fmt: skip
        yield gql


async def read_and_report(gql: GraphQL) -> dict[str, Any]:
    (await gql(QUERY, headers={"X-Client-Id": "reader"})).ok()
    shadow: Shadow = gql.app.state.shadow
    await shadow.drain()
    flag: dict[str, Any] = (await gql(SHADOW, as_user=ADMIN_ID)).ok()["flag"]
    return flag


async def test_an_ignored_field_stops_counting_is_audited_and_can_be_taken_back(
    skewed: GraphQL,
) -> None:
    assert (await read_and_report(skewed))["metrics"]["shadow"]["mismatches"] == 1
    reason = "v4 rounds ratings differently by design (ticket 42)"
    ignored = await skewed(IGNORE, {"target": "Restaurant.averageRating", "reason": reason},
                           as_user=ADMIN_ID)  # fmt: skip
    assert ignored.ok()["ignoreShadowField"]["shadowIgnores"] == [
        {"target": "Restaurant.averageRating"}
    ]
    flag = await read_and_report(skewed)
    assert flag["shadowIgnores"] == [{"target": "Restaurant.averageRating", "reason": reason}]
    shadow = flag["metrics"]["shadow"]
    assert (shadow["comparisons"], shadow["mismatches"], shadow["ignored"]) == (2, 1, 1)
    assert flag["history"][0] == {
        "action": "SHADOW_IGNORE", "actor": f"user:{ADMIN_ID}",
        "reason": f"Restaurant.averageRating: {reason}",
    }  # fmt: skip

    (await skewed(UNIGNORE, {"target": "Restaurant.averageRating"}, as_user=ADMIN_ID)).ok()
    flag = await read_and_report(skewed)
    assert flag["shadowIgnores"] == []
    assert flag["metrics"]["shadow"]["mismatches"] == 2
    assert flag["history"][0]["action"] == "SHADOW_UNIGNORE"


async def test_a_path_prefix_ignores_everything_under_it(skewed: GraphQL) -> None:
    (await skewed(IGNORE, {"target": "restaurants.edges", "reason": "compared elsewhere"},
                  as_user=ADMIN_ID)).ok()  # fmt: skip
    shadow = (await read_and_report(skewed))["metrics"]["shadow"]
    assert (shadow["mismatches"], shadow["ignored"]) == (0, 1)


@pytest.mark.parametrize(
    ("target", "reason", "user", "code"),
    [
        ("Restaurant.nope", "why", ADMIN_ID, "BAD_USER_INPUT"),
        ("Restaurant.website", "  ", ADMIN_ID, "BAD_USER_INPUT"),
        ("Restaurant.website", "x" * 1001, ADMIN_ID, "BAD_USER_INPUT"),
        ("not a target!", "why", ADMIN_ID, "BAD_USER_INPUT"),
        ("Restaurant.website", "why", USER_ID, "FORBIDDEN"),
    ],
)
async def test_a_bad_ignore_is_refused_and_writes_nothing(
    skewed: GraphQL, target: str, reason: str, user: int, code: str
) -> None:
    reply = await skewed(IGNORE, {"target": target, "reason": reason}, as_user=user)
    assert reply.codes == [code]
    flag = (await skewed(SHADOW, as_user=ADMIN_ID)).ok()["flag"]
    assert flag["shadowIgnores"] == []
    assert flag["history"][0]["action"] == "SET_STAGE"
