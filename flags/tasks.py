"""Stopping a background task for sure.

One `cancel()` is not always enough on Python 3.11: a cancellation that arrives while the
task sits in `asyncio.wait_for` (or a timeout) just as the awaited thing completes can be
swallowed (CPython gh-86296, fixed in 3.12), and the task goes on to its next sleep and
loop. `stop` cancels again until the task is done, so no shutdown waits forever.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

RETRY_SECONDS = 0.5


async def stop(task: asyncio.Task[Any] | None) -> None:
    """Cancel `task` and wait until it is done, cancelling again if it carries on."""
    if task is None:
        return
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=RETRY_SECONDS)
    with contextlib.suppress(asyncio.CancelledError, Exception):
        task.result()  # retrieved: no "exception was never retrieved" at exit


class Periodic:
    """`work()` every `seconds` while started, and once more at `stop` (so what is pending
    is not lost): the flush loop of every buffered counter (metrics, reach, daily calls,
    the operation registry)."""

    def __init__(self, work: Callable[[], Awaitable[object]], seconds: float, name: str) -> None:
        self._work = work
        self._seconds = seconds
        self._name = name
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=self._name)

    async def stop(self) -> None:
        await stop(self._task)
        self._task = None
        with contextlib.suppress(Exception):
            await self._work()

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._seconds)
            await self._work()
