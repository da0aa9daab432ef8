"""What tells every open console that something it shows has changed, anywhere in the fleet.

A change may be made by this process, another instance, the CLI or the rollout controller,
and it always lands in the database: the flag revision and the audit log (stages,
percentages, overrides, ignores), the rollouts (state, percentage, last decision), the
alert log and who is staff. While at least one console is open here, one task per process
reads a fingerprint of those every CONSOLE_WATCH_SECONDS (one small query, however many
consoles are open) and wakes every follower when it moves; with none open it reads nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.models import AlertRow, FlagEventRow, FlagStateRow, RolloutRow, UserRow
from jewgo.flags.tasks import stop
from jewgo.gateway.console.links import STAFF

log = structlog.get_logger("jewgo.console")

Fingerprint = tuple[int, ...]

_FINGERPRINT = select(
    select(func.coalesce(func.max(FlagStateRow.revision), 0)).scalar_subquery(),
    select(func.coalesce(func.max(FlagEventRow.id), 0)).scalar_subquery(),
    select(func.count(RolloutRow.id)).scalar_subquery(),
    select(func.coalesce(func.sum(RolloutRow.version), 0)).scalar_subquery(),
    select(func.coalesce(func.max(AlertRow.id), 0)).scalar_subquery(),
)
# Who is staff, whole (a demotion and a promotion together keep the count): a demoted or
# deleted user's open consoles are signed out at once. Staff are a handful of rows.
_STAFF = select(UserRow.id, UserRow.role).where(UserRow.role.in_(STAFF)).order_by(UserRow.id)


class Watch:
    def __init__(self, engine: AsyncEngine, *, interval_seconds: float) -> None:
        self._engine = engine
        self._interval = interval_seconds
        self._followers = 0
        self._generation = 0
        self._moved = asyncio.Event()
        self._closed = False
        self._task: asyncio.Task[None] | None = None
        self.reads = 0  # fingerprints read so far

    @property
    def reading(self) -> bool:
        """Whether the task that reads the fleet's fingerprint runs (while anyone follows)."""
        return self._task is not None and not self._task.done()

    async def fingerprint(self) -> Fingerprint:
        async with self._engine.connect() as conn:
            row = (await conn.execute(_FINGERPRINT)).one()
            staff = tuple((int(i), str(r)) for i, r in await conn.execute(_STAFF))
        return (*(int(value or 0) for value in row), hash(staff))

    async def follow(self, *, heartbeat_seconds: float) -> AsyncGenerator[bool, None]:
        """True each time something changed; False when `heartbeat_seconds` passed quietly.
        Ends when the watch closes (the server is stopping)."""
        self._followers += 1
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="console-watch")
        seen = self._generation
        try:
            while not self._closed:
                moved = self._moved
                if seen == self._generation:
                    try:
                        async with asyncio.timeout(heartbeat_seconds):
                            await moved.wait()
                    except TimeoutError:
                        yield False
                        continue
                if self._closed:
                    return
                seen = self._generation
                yield True
        finally:
            self._followers -= 1

    async def _run(self) -> None:
        last: Fingerprint | None = None
        while self._followers > 0 and not self._closed:
            try:
                current = await self.fingerprint()
            except Exception as exc:  # the database is away: the consoles wait for it
                log.warning("console watch failed", error=type(exc).__name__)
            else:
                self.reads += 1
                if last is not None and current != last:
                    self._wake()
                last = current
            await asyncio.sleep(self._interval)

    def _wake(self) -> None:
        self._generation += 1
        moved, self._moved = self._moved, asyncio.Event()
        moved.set()

    async def close(self) -> None:
        """Ends every follower (their streams close) and the task."""
        self._closed = True
        self._wake()
        await stop(self._task)
        self._task = None
