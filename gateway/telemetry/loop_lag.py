"""Event-loop lag: how much later than asked the event loop wakes a task that sleeps.

Whatever computes without awaiting (parsing, validating, rendering a large answer) holds
every other request of the process meanwhile, `/health` included: no request may hold it
more than 100 ms (SPEC §14). A watch sleeps INTERVAL seconds at a time and records how
late each wake-up came, in the histogram `jewgo_event_loop_lag_seconds`, and the worst
since it started in the gauge `jewgo_event_loop_lag_max_seconds`.

There is one watch per event loop, so one per process however many apps share it (the
tests run several): `watching()` starts it for the first lifespan and stops it when the
last one ends.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from weakref import WeakKeyDictionary

from jewgo.flags.tasks import stop
from jewgo.gateway.telemetry.metrics import LOOP_LAG, LOOP_LAG_WORST

INTERVAL = 0.1


class LagWatch:
    """Sleeps `interval` seconds at a time and records each wake-up's lag (seconds)."""

    def __init__(
        self,
        *,
        interval: float = INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        record: Callable[[float], None] | None = None,
    ) -> None:
        self._interval = interval
        self._clock = clock
        self._sleep = sleep
        self._record = record if record is not None else self.observe
        self.worst = 0.0

    async def run(self) -> None:
        while True:
            due = self._clock() + self._interval
            await self._sleep(self._interval)
            self._record(max(0.0, self._clock() - due))

    def observe(self, lag: float) -> None:
        LOOP_LAG.observe(lag)
        if lag > self.worst:
            self.worst = lag
            LOOP_LAG_WORST.set(lag)


class _Running:
    def __init__(self) -> None:
        self.watch = LagWatch()
        LOOP_LAG_WORST.set(0.0)
        self.task = asyncio.create_task(self.watch.run(), name="event-loop lag")
        self.users = 0


_running: WeakKeyDictionary[asyncio.AbstractEventLoop, _Running] = WeakKeyDictionary()


@asynccontextmanager
async def watching() -> AsyncIterator[LagWatch]:
    """The watch of the running event loop, started if none runs, for as long as this
    context lasts (an app's lifespan)."""
    loop = asyncio.get_running_loop()
    running = _running.get(loop)
    if running is None:
        running = _running[loop] = _Running()
    running.users += 1
    try:
        yield running.watch
    finally:
        running.users -= 1
        if running.users == 0:
            del _running[loop]
            await stop(running.task)
