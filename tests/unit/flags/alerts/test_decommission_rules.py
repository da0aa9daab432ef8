"""Decommission readiness, as a table: when v3 may be retired for a domain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jewgo.flags.alerts.decommission import verdict
from jewgo.flags.snapshot import FlagState
from jewgo.flags.stages import Stage
from jewgo.flags.telemetry.daily_calls import Usage

NOW = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
FLAG = FlagState("api_v4_users", "d", Stage.COMPLETE, 100.0, 9, NOW - 40 * DAY, "user:1")


def usage(last_v3: datetime | None, v3: int = 0) -> Usage:
    return Usage(calls={"v3": v3, "v4": 1000}, last_call={"v3": last_v3, "v4": NOW})


@pytest.mark.parametrize(
    ("stage", "since", "last_v3", "firing", "reasons"),
    [
        (Stage.COMPLETE, NOW - 31 * DAY, None, 0, ()),
        (Stage.COMPLETE, NOW - 31 * DAY, NOW - 45 * DAY, 0, ()),
        (Stage.COMPLETE, NOW - 30 * DAY, NOW - 30 * DAY, 0, ()),  # exactly the period
        (Stage.COMPLETE, NOW - 10 * DAY, None, 0, ("COMPLETE for 10.0 of 30 days",)),
        (Stage.COMPLETE, NOW - 31 * DAY, NOW - 2 * DAY, 0,
         ("v3 served the domain 3 times in the last 30 days (last 2026-12-29T12:00:00+00:00)",)),
        (Stage.COMPLETE, NOW - 31 * DAY, None, 1, ("1 alert(s) of api_v4_users firing",)),
        (Stage.FULL, None, None, 0, ("api_v4_users is FULL, not COMPLETE",)),
        (Stage.COMPLETE, None, None, 0,
         ("api_v4_users is COMPLETE, but no audit event says since when",)),
    ],
)  # fmt: skip
def test_ready_to_decommission(
    stage: Stage,
    since: datetime | None,
    last_v3: datetime | None,
    firing: int,
    reasons: tuple[str, ...],
) -> None:
    flag = FlagState(FLAG.name, "d", stage, 100.0, 9, NOW, "user:1")
    found = verdict("users", flag, since, usage(last_v3, 3 if last_v3 else 0), firing, NOW, 30)
    assert found.reasons == reasons
    assert found.ready is (not reasons)
