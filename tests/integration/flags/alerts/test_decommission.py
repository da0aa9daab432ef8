"""Decommission readiness on SQLite and PostgreSQL: durable daily counts added up across
processes, and a clock moved 31 days with no v3 traffic makes a COMPLETE domain ready."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.engine import create_engine
from jewgo.flags.alerts.decommission import Decommission, Readiness
from jewgo.flags.alerts.rules import TIMINGS, Rule
from jewgo.flags.alerts.store import AlertStore
from jewgo.flags.store import FlagStore
from jewgo.flags.telemetry.daily_calls import DailyCalls
from tests.integration.alert_world import SPIKE, World, engine_for, ticking
from tests.support import ADMIN_ID, Database, gateway_client

NOW = datetime.now(UTC)
COMPLETE = """mutation { setFlagStage(name: "api_v4_restaurants", stage: COMPLETE, force: true,
  reason: "v4 serves everyone") { stage } }"""
REPORT = """{ migration { decommission { domain flag stage completeSince lastV3Call v3Calls
  v4Calls firingAlerts stableDays readyToDecommission reasons } } }"""


@pytest.fixture
async def engine(fresh_db: Database, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """The restaurants flag set COMPLETE now, by an admin through GraphQL."""
    async with gateway_client(fresh_db, tmp_path, {}, rollout_interval_seconds=3600) as gql:
        (await gql(COMPLETE, as_user=ADMIN_ID)).ok()
        report = (await gql(REPORT, as_user=ADMIN_ID)).ok()["migration"]["decommission"]
    restaurants = next(d for d in report if d["domain"] == "restaurants")
    assert restaurants["stage"] == "COMPLETE" and restaurants["completeSince"] is not None
    assert restaurants["readyToDecommission"] is False
    assert restaurants["reasons"][0].startswith("COMPLETE for 0.0 of 30 days")
    found = create_engine(fresh_db.url)
    yield found
    await found.dispose()


async def ready_at(engine: AsyncEngine, moment: datetime) -> dict[str, Readiness]:
    daily = DailyCalls(engine, clock=lambda: moment)
    found = Decommission(engine, daily, AlertStore(engine), clock=lambda: moment)
    report = await found.report(await FlagStore(engine).snapshot())
    return {each.domain: each for each in report}


async def calls_at(engine: AsyncEngine, moment: datetime, **counts: int) -> None:
    """Calls of restaurants' versions counted by two processes, flushed."""
    for _ in range(2):
        daily = DailyCalls(engine, clock=lambda: moment)
        for version, n in counts.items():
            for _ in range(n):
                daily.record("restaurants", version)
        await daily.flush()


async def test_complete_for_31_days_with_no_v3_call_is_ready(engine: AsyncEngine) -> None:
    await calls_at(engine, NOW - timedelta(days=2), v3=5, v4=20)  # before COMPLETE
    await calls_at(engine, NOW + timedelta(days=3), v4=7)
    early = (await ready_at(engine, NOW + timedelta(days=29)))["restaurants"]
    assert not early.ready
    assert early.reasons == ("COMPLETE for 29.0 of 30 days",)
    later = await ready_at(engine, NOW + timedelta(days=31))
    restaurants = later["restaurants"]
    assert restaurants.ready, restaurants.reasons
    assert (restaurants.v3_calls, restaurants.v4_calls) == (0, 14)  # in the last 30 days
    assert restaurants.last_v3_call == NOW - timedelta(days=2)
    assert not later["reviews"].ready
    assert later["reviews"].reasons == ("api_v4_reviews is DISABLED, not COMPLETE",)


async def test_a_v3_call_or_a_firing_alert_in_the_period_keeps_v3(engine: AsyncEngine) -> None:
    await calls_at(engine, NOW + timedelta(days=10), v3=1)  # an admin forced v3, say
    found = (await ready_at(engine, NOW + timedelta(days=31)))["restaurants"]
    assert not found.ready
    assert found.reasons[0].startswith("v3 served the domain 2 times in the last 30 days")
    assert (await ready_at(engine, NOW + timedelta(days=41)))["restaurants"].ready
    world = World(health={"api_v4_restaurants": SPIKE})
    alerts = engine_for(AlertStore(engine), world)
    await alerts.evaluate()
    await ticking(alerts, world, TIMINGS[Rule.V4_ERROR_RATE_WARNING].pending_seconds)
    firing = (await ready_at(engine, NOW + timedelta(days=41)))["restaurants"]
    assert firing.reasons == ("2 alert(s) of api_v4_restaurants firing",)


async def test_a_known_operation_not_yet_served_cleanly_by_v4_keeps_v3(
    engine: AsyncEngine,
) -> None:
    from jewgo.gateway.operations.coverage import Coverage
    from jewgo.gateway.operations.registry import OperationRegistry

    registry = OperationRegistry(engine)
    query = "query Page { restaurants { totalCount } }"
    digest = registry.seen(query, "Page", "query")
    assert digest is not None
    registry.coverage.touched(digest, ["restaurants"])
    await registry.flush()
    coverage = Coverage(engine)

    async def uncovered(domain: str) -> int:
        figures = await coverage.of(domain)
        return figures.known - figures.clean

    async def restaurants_at(moment: datetime) -> Readiness:
        daily = DailyCalls(engine, clock=lambda: moment)
        found = Decommission(
            engine, daily, AlertStore(engine), clock=lambda: moment, uncovered=uncovered
        )
        report = await found.report(await FlagStore(engine).snapshot())
        return next(each for each in report if each.domain == "restaurants")

    waiting = await restaurants_at(NOW + timedelta(days=31))
    assert not waiting.ready and waiting.uncovered_operations == 1
    assert waiting.reasons == (
        "1 known operation(s) reaching the domain not yet shown to be served by v4 as v3 "
        "serves them (migration { coverage })",
    )
    registry.coverage.compared(digest, "restaurants", clean=True)  # a replay matched
    await registry.flush()
    assert (await restaurants_at(NOW + timedelta(days=31))).ready
