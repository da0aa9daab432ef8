"""Gates through the real stores: a pauseAt gate and an inconclusive pause are stored,
audited with their figures and thresholds, survive as PAUSED, and resume goes on; the
inconclusive stretch is kept in the database (a new leader continues it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from jewgo.db.engine import create_engine
from jewgo.flags.rollouts.model import RolloutState
from jewgo.flags.stages import Stage
from tests.integration.flags.rollouts.test_rollout_controller import CONFIG, FLAG, HEALTHY, World
from tests.support import Database


@pytest.fixture
async def world(fresh_db: Database) -> AsyncIterator[World]:
    engine = create_engine(fresh_db.url)
    yield World(engine)
    await engine.dispose()


async def test_a_gate_pauses_at_its_percentage_until_resumed(world: World) -> None:
    await world.start(replace(CONFIG, pause_at=(50.0,)))
    await world.step(10)
    state, percentage, reason = await world.rollout()
    assert (state, percentage) == (RolloutState.PAUSED, 50.0)
    assert reason is not None and reason.startswith("paused at the gate of 50%")
    assert await world.flag() == (Stage.PARTIAL, 50.0)
    for _ in range(3):  # the controller leaves a PAUSED rollout alone
        await world.step(10)
    assert (await world.rollout())[:2] == (RolloutState.PAUSED, 50.0)
    await world.admin.resume_rollout(FLAG, actor="user:1")
    await world.step(10)
    assert (await world.rollout())[:2] == (RolloutState.RUNNING, 90.0)
    history = await world.flags.history(FLAG, 10)
    assert [e.action for e in history] == [
        "ROLLOUT_STEP", "ROLLOUT_RUNNING", "ROLLOUT_GATE", "START_ROLLOUT",
    ]  # fmt: skip
    gate = history[2]
    assert gate.details is not None and gate.details["thresholds"]["minRequests"] == 50


async def test_thin_traffic_for_the_windows_pauses_with_its_figures(world: World) -> None:
    await world.start(replace(CONFIG, max_inconclusive_windows=2))
    world.health = replace(HEALTHY, v4_calls=10)
    await world.step(10)  # due, thin: the stretch starts
    stored = (await world.rollouts.current())[FLAG]
    assert stored.inconclusive_since == world.now
    await world.step(10)
    assert (await world.rollout())[0] is RolloutState.RUNNING
    await world.step(10)  # two windows of 10 s
    state, percentage, reason = await world.rollout()
    assert (state, percentage) == (RolloutState.PAUSED, 20.0)
    assert reason is not None and reason.startswith("paused (inconclusive for 2 windows")
    [event, *_] = await world.flags.history(FLAG, 10)
    assert (event.action, event.actor) == ("ROLLOUT_PAUSED", "rollout-controller")
    assert event.details is not None and event.details["v4Calls"] == 10
    await world.admin.resume_rollout(FLAG, actor="user:1")
    assert (await world.rollouts.current())[FLAG].inconclusive_since is None
