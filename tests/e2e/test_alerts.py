"""Alerts across real `jewgo serve` processes on PostgreSQL and Redis, delivered to a
receiver the test runs: a FAULTS error spike on restaurants.v4 fires, signed, and resolves
once it is over; a receiver that was down gets it once back, once, even when the leader
that fired it died before delivering."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from jewgo.flags.alerts.payload import SIGNATURE_HEADER, verify
from tests.conftest import Templates, clone
from tests.e2e.fleet import Traffic, admin, env_for, start, wait_for
from tests.receiver import Receiver, receiving
from tests.support import Database, Server, stop

pytestmark = pytest.mark.slow

SECRET = "e2e-webhook-secret-" + "y" * 20
START = """mutation($config: RolloutConfigInput) { startRollout(name: "api_v4_restaurants",
  config: $config) { state } }"""
CONFIG = {
    "initialPercentage": 50, "incrementPercentage": 25, "incrementIntervalSeconds": 600,
    "monitoringPeriodSeconds": 4, "autoRollbackThresholdPercent": 5, "minRequests": 20,
}  # fmt: skip
FIRING = """{ migration { alerts(state: FIRING) { rule flag } } }"""


@pytest.fixture
async def database(templates: Templates, tmp_path: Path) -> AsyncIterator[Database]:
    database = await clone("postgres", templates, tmp_path)
    yield database
    await database.close()


def env(database: Database, redis_url: str, namespace: str, receiver: Receiver) -> dict[str, str]:
    return env_for(
        database, redis_url, namespace,
        FAULTS="restaurants.v4:error=0.3",
        ALERT_WEBHOOK_URLS=receiver.url,
        ALERT_WEBHOOK_SECRET=SECRET,
        ALERT_WEBHOOK_BACKOFF_SECONDS="0.2",
        ALERT_WEBHOOK_MAX_BACKOFF_SECONDS="1",
        ALERT_WEBHOOK_TIMEOUT_SECONDS="2",
        # Ticks of 0.3 s: a firing alert resolves after a clear second, not the default
        # minute (V4ErrorRateCritical fires at once whatever ALERT_PENDING_SECONDS says).
        ALERT_KEEP_FIRING_SECONDS="1",
    )  # fmt: skip


def got(receiver: Receiver, status: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return bool(critical(receiver, status))

    return check


def critical(receiver: Receiver, status: str) -> list[dict[str, Any]]:
    """The V4ErrorRateCritical notifications of restaurants' flag with `status`, each
    checked for its signature."""
    found = []
    for delivery in receiver.received("V4ErrorRateCritical", status):
        assert verify(SECRET, delivery.body, delivery.headers[SIGNATURE_HEADER.lower()])
        assert delivery.alert["labels"]["flag"] == "api_v4_restaurants"
        found.append(delivery.json)
    return found


async def test_an_error_spike_fires_signed_and_resolves_when_it_is_over(
    database: Database, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    with receiving() as receiver, ExitStack() as stack:
        server = start(stack, env(database, redis_url, namespace, receiver), tmp_path)
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            async with Traffic([server.url]):
                await admin(client, START, config=CONFIG)
                await wait_for(got(receiver, "firing"), within=10)
            # The controller rolled the flag back: no v4 call any more, the window empties.
            await wait_for(got(receiver, "resolved"), within=15)
            [fired], [resolved] = critical(receiver, "firing"), critical(receiver, "resolved")
            alert, over = fired["alerts"][0], resolved["alerts"][0]
            assert alert["fingerprint"] == over["fingerprint"]
            assert alert["startsAt"] == over["startsAt"] and over["endsAt"] > over["startsAt"]
            assert alert["endsAt"] == "0001-01-01T00:00:00Z"
            assert alert["labels"]["severity"] == "critical"
            assert "v4 error rate" in alert["annotations"]["summary"]
            assert receiver.received("AutoRollback", "firing")
            metrics = (await client.get("/metrics")).text
            assert 'jewgo_alert_notifications_total{outcome="delivered"}' in metrics
            assert "jewgo_rollout_controller_leading 1.0" in metrics
            assert (await admin(client, FIRING))["migration"]["alerts"] is not None


def leader(servers: list[Server]) -> Server | None:
    for server in servers:
        if server.process.poll() is not None:
            continue
        ready = httpx.get(f"{server.url}/ready", timeout=5).json()
        rollouts = next(c for c in ready["components"] if c["name"] == "rollouts")
        if rollouts["detail"].startswith("this instance leads"):
            return server
    return None


async def test_a_receiver_down_gets_the_alert_once_back_even_after_the_leader_died(
    database: Database, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    receiver = Receiver()  # not listening yet
    settings = env(database, redis_url, namespace, receiver)
    try:
        with ExitStack() as stack:
            servers = [start(stack, settings, tmp_path), start(stack, settings, tmp_path)]
            async with (
                Traffic([s.url for s in servers]),
                httpx.AsyncClient(base_url=servers[0].url, timeout=10) as client,
            ):
                await admin(client, START, config=CONFIG)

                async def fired() -> bool:
                    alerts = (await admin(client, FIRING))["migration"]["alerts"]
                    return any(a["rule"] == "V4ErrorRateCritical" for a in alerts)

                await wait_for(fired, within=10)
            first = leader(servers)
            assert first is not None
            first.process.kill()  # fired, not delivered: the receiver is down
            stop(first.process)
            survivor = next(s for s in servers if s is not first)
            receiver.start()
            await wait_for(got(receiver, "firing"), within=15)
            await wait_for(got(receiver, "resolved"), within=15)
            assert len(critical(receiver, "firing")) == 1
            assert len(critical(receiver, "resolved")) == 1
            assert leader(servers) is survivor
    finally:
        receiver.stop()
