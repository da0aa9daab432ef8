"""The event-loop lag watch: how late each wake-up came, on an injected clock; one watch
per event loop however many apps share it; and a loop held on purpose is seen."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from prometheus_client import REGISTRY

from jewgo.gateway.telemetry.loop_lag import LagWatch, watching


class Done(Exception):
    pass


async def test_each_wake_up_records_how_much_later_than_asked_it_came() -> None:
    now = [100.0]
    late = iter([0.0, 0.3, 0.02])

    async def sleep(seconds: float) -> None:
        try:
            now[0] += seconds + next(late)
        except StopIteration:
            raise Done from None

    lags: list[float] = []
    watch = LagWatch(interval=0.1, clock=lambda: now[0], sleep=sleep, record=lags.append)
    with pytest.raises(Done):
        await watch.run()
    assert lags == pytest.approx([0.0, 0.3, 0.02])


def recorded(above: str = "0") -> float:
    """Wake-ups recorded later than `above` seconds (a bucket bound), by every watch so far."""
    every = REGISTRY.get_sample_value("jewgo_event_loop_lag_seconds_count") or 0.0
    within = REGISTRY.get_sample_value("jewgo_event_loop_lag_seconds_bucket", {"le": above})
    return every - (within or 0.0) if above != "0" else every


async def until(condition: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "not within 5 s"
        await asyncio.sleep(0.01)


async def test_a_loop_held_for_300_ms_is_recorded_and_the_watch_stops_with_its_last_user() -> None:
    async with watching() as watch, watching() as shared:
        assert shared is watch  # one watch for the loop, however many apps
        woken, late = recorded(), recorded(above="0.1")
        await until(lambda: recorded() > woken)  # it sleeps again, due in 0.1 s at most
        time.sleep(0.3)  # noqa: ASYNC251 -- holding the loop, as a request computing would
        await until(lambda: recorded(above="0.1") > late)
        assert watch.worst >= 0.2
        assert REGISTRY.get_sample_value("jewgo_event_loop_lag_max_seconds") == watch.worst
    assert [t for t in asyncio.all_tasks() if t.get_name() == "event-loop lag"] == []
