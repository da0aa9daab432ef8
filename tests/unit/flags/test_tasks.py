"""Background work: a periodic flush runs while started and once more when stopped."""

from __future__ import annotations

from jewgo.flags.tasks import Periodic
from tests.support import eventually


async def test_a_periodic_flush_runs_while_started_and_once_more_at_stop() -> None:
    runs: list[int] = []

    async def flush() -> None:
        runs.append(len(runs))

    periodic = Periodic(flush, 0.01, "test-flush")
    periodic.start()

    async def twice() -> bool:
        return len(runs) >= 2

    await eventually(twice, within=5)
    await periodic.stop()
    stopped = len(runs)
    assert stopped >= 3  # the last run is the stop's own: nothing pending is left behind
    await periodic.stop()  # stopping again flushes again, and nothing else happens
    assert len(runs) == stopped + 1


async def test_a_failing_final_flush_does_not_fail_the_shutdown() -> None:
    async def broken() -> None:
        raise ConnectionError("the store is away")

    periodic = Periodic(broken, 3600, "test-broken")
    periodic.start()
    await periodic.stop()
