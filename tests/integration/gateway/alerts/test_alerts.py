"""Alerts against real databases (SQLite and PostgreSQL): the engine fires (once a rule's
`for` has passed) and resolves (once clear for its `keep_firing_for`), stores every event
append-only with its figures and its notifications, and the notifier delivers them to a
real receiver, signed, retrying with backoff, all on an injected clock; a flapping episode
reaches the receiver as one firing and one resolution."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import text

from jewgo.db.engine import create_engine
from jewgo.flags.alerts.lifecycle import AlertState
from jewgo.flags.alerts.outbox import Outbox
from jewgo.flags.alerts.payload import SIGNATURE_HEADER, verify
from jewgo.flags.alerts.rules import TIMINGS, Rule
from jewgo.flags.alerts.store import AlertStore
from jewgo.flags.rollouts.model import Health
from jewgo.gateway.alerts.notifier import Notifier
from jewgo.gateway.http.health import Component
from tests.integration.alert_world import QUIET, SPIKE, TICK, World, engine_for, ticking
from tests.receiver import Receiver, hanging, receiving
from tests.support import Database, eventually

SECRET = "webhook-secret-" + "x" * 20
PENDING = TIMINGS[Rule.V4_ERROR_RATE_WARNING].pending_seconds  # 30 s
KEEP_FIRING = TIMINGS[Rule.V4_ERROR_RATE_CRITICAL].keep_firing_seconds  # 60 s, the warning's too


@pytest.fixture
async def store(fresh_db: Database) -> AsyncIterator[AlertStore]:
    engine = create_engine(fresh_db.url)
    yield AlertStore(engine, ["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"])
    await engine.dispose()


async def test_a_spike_fires_once_and_resolves_after_with_its_figures_stored(
    store: AlertStore,
) -> None:
    world = World()
    engine = engine_for(store, world)
    assert await engine.evaluate() == []
    world.health["api_v4_restaurants"] = SPIKE
    # The critical rule fires at once, beside the controller's rollback; the warning waits.
    fired = await engine.evaluate()
    assert [(a.rule, a.flag, a.state) for a in fired] == [
        ("V4ErrorRateCritical", "api_v4_restaurants", AlertState.FIRING),
    ]
    critical = fired[0]
    assert (critical.value, critical.threshold) == (25.0, 5.0)
    assert critical.figures["v4Calls"] == 400 and critical.figures["v4Errors"] == 100
    assert engine.firing == fired  # the warning is pending: neither stored nor shown
    assert await ticking(engine, world, PENDING - 5) == []
    [warning] = await ticking(engine, world, 5)
    assert (warning.rule, warning.state, warning.at) == (
        "V4ErrorRateWarning", AlertState.FIRING, critical.at + timedelta(seconds=PENDING),
    )  # fmt: skip
    assert await ticking(engine, world, 60) == []  # still firing: nothing new
    assert {a.rule for a in engine.firing} == {"V4ErrorRateWarning", "V4ErrorRateCritical"}

    world.health["api_v4_restaurants"] = QUIET
    # Clear from the first quiet tick on; resolved once that has lasted keep_firing_for.
    assert await ticking(engine, world, KEEP_FIRING) == []
    resolved = await ticking(engine, world, 5)
    assert {(a.rule, a.state) for a in resolved} == {
        ("V4ErrorRateWarning", AlertState.RESOLVED), ("V4ErrorRateCritical", AlertState.RESOLVED),
    }  # fmt: skip
    assert {a.starts_at for a in resolved} == {critical.starts_at, warning.starts_at}
    assert engine.firing == [] and await store.firing() == []

    events = await store.events(10)
    assert [a.state for a in events] == [AlertState.RESOLVED] * 2 + [AlertState.FIRING] * 2
    assert [a.rule for a in await store.events(10, state=AlertState.RESOLVED)] != []
    assert await store.events(10, flag="api_v4_reviews") == []
    # Two receivers: one notification each per event.
    deliveries = await Outbox(store.engine).of([a.id for a in events])
    assert all(len(found) == 2 for found in deliveries.values())
    async with store.engine.connect() as conn:
        with pytest.raises(Exception, match="append-only"):
            await conn.execute(text("UPDATE alerts SET summary = 'changed'"))


async def test_a_new_leader_takes_the_firing_alerts_over_and_sees_the_leaderless_gap(
    store: AlertStore,
) -> None:
    world = World(health={"api_v4_reviews": SPIKE})
    first = engine_for(store, world, "host:1")
    await first.evaluate()
    assert len(await ticking(first, world, PENDING)) == 1 and len(await store.firing()) == 2
    # The leader is gone for two minutes; another instance leads.
    world.now += timedelta(minutes=2)
    second = engine_for(store, world, "host:2")
    fired = await second.evaluate()
    assert [(a.rule, a.figures["previousLeader"]) for a in fired] == [
        ("ControllerLeaderless", "host:1")
    ]
    assert fired[0].value == 120.0
    # The reviews alerts are not fired again by the new leader.
    assert len(await store.firing()) == 3
    # The gap was seen once; the next ticks are on time: it resolves a minute on.
    assert await ticking(second, world, KEEP_FIRING) == []
    done = await ticking(second, world, 5)
    assert [(a.rule, a.state) for a in done] == [("ControllerLeaderless", AlertState.RESOLVED)]


async def test_the_notifier_delivers_signed_retries_with_backoff_and_gives_up(
    fresh_db: Database,
) -> None:
    world = World()
    engine = create_engine(fresh_db.url)
    try:
        with receiving() as up, receiving() as down:
            down.status = 503
            store = AlertStore(engine, [up.url, down.url])
            alerts = engine_for(store, world)
            outbox = Outbox(engine)
            notifier = Notifier(
                outbox, leading=lambda: True, secret=SECRET, max_attempts=3,
                backoff_seconds=10, clock=world.clock,
            )  # fmt: skip
            world.components = [Component("cache", "degraded", "memory fallback")]
            await alerts.evaluate()
            [fired] = await ticking(alerts, world, TIMINGS[Rule.CACHE_FALLBACK].pending_seconds)
            assert await notifier.deliver_due() == 1
            [delivery] = up.received()
            assert verify(SECRET, delivery.body, delivery.headers[SIGNATURE_HEADER.lower()])
            assert delivery.json["status"] == "firing"
            assert delivery.alert["labels"]["alertname"] == "CacheFallback"
            assert down.refused == 1
            # Not due again before its backoff (10 s, then 20 s); nothing is sent twice.
            assert await notifier.deliver_due() == 0
            assert down.refused == 1 and len(up.received()) == 1
            world.now += timedelta(seconds=10)
            await notifier.deliver_due()
            assert down.refused == 2
            world.now += timedelta(seconds=19)
            await notifier.deliver_due()
            assert down.refused == 2
            world.now += timedelta(seconds=1)
            await notifier.deliver_due()
            assert down.refused == 3
            world.now += timedelta(hours=1)
            assert await notifier.deliver_due() == 0
            assert down.refused == 3  # max_attempts: FAILED, not tried again
            found = (await outbox.of([fired.id]))[fired.id]
            assert {(n.url, n.state, n.attempts) for n in found} == {
                (up.url, "DELIVERED", 1), (down.url, "FAILED", 3),
            }  # fmt: skip
            assert next(n for n in found if n.state == "FAILED").last_error == "HTTP 503"
            await notifier.stop()
    finally:
        await engine.dispose()


async def test_a_receiver_that_was_down_gets_the_alert_once_it_is_back(
    fresh_db: Database,
) -> None:
    world = World()
    engine = create_engine(fresh_db.url)
    try:
        with receiving() as receiver:
            url = receiver.url
            receiver.stop()  # nobody listens on its port
            store = AlertStore(engine, [url])
            notifier = Notifier(Outbox(engine), leading=lambda: True, backoff_seconds=1,
                                clock=world.clock)  # fmt: skip
            world.components = [Component("redis", "down", "TimeoutError")]
            alerts = engine_for(store, world)
            await alerts.evaluate()
            await ticking(alerts, world, TIMINGS[Rule.REDIS_UNREACHABLE].pending_seconds)
            assert await notifier.deliver_due() == 0
            receiver.start()
            world.now += timedelta(seconds=1)
            assert await notifier.deliver_due() == 1
            world.now += timedelta(minutes=5)
            assert await notifier.deliver_due() == 0
            assert [d.alert["labels"]["alertname"] for d in receiver.received()] == [
                "RedisUnreachable"
            ]
            await notifier.stop()
    finally:
        await engine.dispose()


def test_backoff_doubles_up_to_its_cap() -> None:
    notifier = Notifier(Outbox(None), leading=lambda: True, backoff_seconds=1,  # type: ignore[arg-type]
                        max_backoff_seconds=10)  # fmt: skip
    assert [notifier.backoff(n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


async def test_a_hanging_receiver_delays_no_other(fresh_db: Database) -> None:
    world = World()
    engine = create_engine(fresh_db.url)
    try:
        with hanging() as stuck, receiving() as receiver:
            store = AlertStore(engine, [stuck, receiver.url])
            notifier = Notifier(Outbox(engine), leading=lambda: True, timeout=3, clock=world.clock)
            world.components = [Component("flags", "stale", "confirmed 40 s ago")]
            alerts = engine_for(store, world)
            await alerts.evaluate()
            await ticking(alerts, world, TIMINGS[Rule.FLAG_SNAPSHOT_STALE].pending_seconds)
            delivering = asyncio.create_task(notifier.deliver_due())
            # The other receiver has it well before the hung one's timeout (3 s) ends.
            took = await eventually(lambda: _got(receiver), within=2.5)
            assert not delivering.done()
            assert await delivering == 1
            print(f"\ndelivered in {took:.2f} s beside a receiver that never answers")
            await notifier.stop()
    finally:
        await engine.dispose()


async def _got(receiver: Receiver) -> bool:
    return bool(receiver.received("FlagSnapshotStale", "firing"))


# v4's p95 at 2.25 x v3's, above maxLatencyRatio (1.5); then at 1.1 x, below its band (1.2).
SLOW = Health(window_seconds=60, v4_calls=400, v4_p95_ms=90.0, v3_calls=400, v3_p95_ms=40.0)
BRISK = replace(SLOW, v4_p95_ms=44.0)
# One tick (TICK, 5 s) each: slow for 40 s, then flapping slow-brisk-brisk for a minute
# (the incident: V4LatencyRatio fired and resolved again and again), then brisk.
FLAPPING = [SLOW] * 8 + [SLOW, BRISK, BRISK] * 4 + [BRISK] * 14


async def test_a_flapping_episode_reaches_the_receiver_as_one_firing_and_one_resolution(
    fresh_db: Database,
) -> None:
    world = World()
    engine = create_engine(fresh_db.url)
    try:
        with receiving() as receiver:
            store = AlertStore(engine, [receiver.url])
            alerts = engine_for(store, world)
            notifier = Notifier(Outbox(engine), leading=lambda: True, clock=world.clock)
            started = world.now
            delivered: list[tuple[float, str]] = []
            for health in FLAPPING:
                world.health["api_v4_reviews"] = health
                await alerts.evaluate()
                await notifier.deliver_due()
                for delivery in receiver.received()[len(delivered) :]:
                    seconds = (world.now - started).total_seconds()
                    delivered.append((seconds, delivery.json["status"]))
                world.now += TICK
            # Pending for its `for` (30 s): nothing is sent before. Then firing through the
            # flapping: each brisk gap (10 s) is shorter than its keep_firing_for (60 s).
            # It resolves 60 s after the first brisk tick that lasted (90 s).
            assert delivered == [(30.0, "firing"), (150.0, "resolved")]
            fired, resolved = receiver.received()
            assert fired.alert["labels"]["alertname"] == "V4LatencyRatio"
            assert fired.alert["fingerprint"] == resolved.alert["fingerprint"]
            assert fired.alert["startsAt"] == resolved.alert["startsAt"]
            events = await store.events(10)
            assert [(a.rule, a.state) for a in events] == [
                ("V4LatencyRatio", AlertState.RESOLVED), ("V4LatencyRatio", AlertState.FIRING),
            ]  # fmt: skip
            outbox = await Outbox(engine).of([a.id for a in events])
            assert [len(found) for found in outbox.values()] == [1, 1]
            await notifier.stop()
    finally:
        await engine.dispose()
