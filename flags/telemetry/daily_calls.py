"""Durable daily counts of each domain's calls per version, in the database: what
decommission readiness reads ("no v3 call in 30 days"), which the Redis window cannot
keep. Each process counts in memory (the request path: a dict) and adds its counts to
the day's row every `flush_seconds`, so every instance's calls are in it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

import structlog
from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.models import DailyCallRow
from jewgo.db.timestamps import utc
from jewgo.flags import tasks
from jewgo.flags.clock import Clock, utc_now

log = structlog.get_logger("jewgo.daily")
daily_table = cast(Table, DailyCallRow.__table__)


@dataclass(frozen=True, slots=True)
class Usage:
    """A domain's calls per version since a day, and the last call of each version."""

    calls: dict[str, int]
    last_call: dict[str, datetime | None]


class DailyCalls:
    def __init__(
        self, engine: AsyncEngine, *, flush_seconds: float = 10.0, clock: Clock = utc_now
    ) -> None:
        self._engine = engine
        self._flush_seconds = flush_seconds
        self._clock = clock
        self._pending: dict[tuple[str, str, str], list[Any]] = {}
        self._flusher = tasks.Periodic(self.flush, self._flush_seconds, "daily-calls-flush")

    def record(self, domain: str, version: str) -> None:
        now = self._clock()
        slot = (now.date().isoformat(), domain, version)
        counted = self._pending.get(slot)
        if counted is None:
            self._pending[slot] = [1, now]
        else:
            counted[0] += 1
            counted[1] = now

    async def flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        greatest: Callable[..., Any] = func.greatest if dialect is postgresql else func.max
        try:
            async with self._engine.begin() as conn:
                for (day, domain, version), (calls, last) in sorted(pending.items()):
                    statement = dialect.insert(daily_table).values(
                        day=day, domain=domain, version=version, calls=calls, last_call_at=last
                    )
                    excluded = statement.excluded
                    await conn.execute(
                        statement.on_conflict_do_update(
                            index_elements=["day", "domain", "version"],
                            set_={
                                "calls": daily_table.c.calls + excluded.calls,
                                "last_call_at": greatest(
                                    daily_table.c.last_call_at, excluded.last_call_at
                                ),
                            },
                        )
                    )
        except Exception as exc:  # keep them for the next try
            for slot, (calls, last) in pending.items():
                counted = self._pending.setdefault(slot, [0, last])
                counted[0] += calls
                counted[1] = max(counted[1], last)
            log.warning("daily counts flush failed", error=type(exc).__name__)

    async def usage(self, domain: str, since: date) -> Usage:
        """Calls of `domain` per version from the day `since` on (flushed ones), and the
        last call of each version ever."""
        totals = (
            select(daily_table.c.version, func.sum(daily_table.c.calls))
            .where(daily_table.c.domain == domain, daily_table.c.day >= since.isoformat())
            .group_by(daily_table.c.version)
        )
        lasts = (
            select(daily_table.c.version, func.max(daily_table.c.last_call_at))
            .where(daily_table.c.domain == domain)
            .group_by(daily_table.c.version)
        )
        async with self._engine.connect() as conn:
            calls = {v: int(n) for v, n in (await conn.execute(totals)).all()}
            last = {v: utc(at) for v, at in (await conn.execute(lasts)).all()}
        return Usage(
            calls={v: calls.get(v, 0) for v in ("v3", "v4")},
            last_call={v: last.get(v) for v in ("v3", "v4")},
        )

    def since(self, days: int) -> date:
        return (self._clock() - timedelta(days=days)).date()

    async def start(self) -> None:
        self._flusher.start()

    async def stop(self) -> None:
        await self._flusher.stop()
