"""When v3 may go: per domain, a verdict from the flag's stage, how long it has been
COMPLETE, the durable daily counts and the firing alerts.

Ready to decommission (the seed's "after 30 days of stable v4 operation") iff the
domain's flag has been COMPLETE for at least DECOMMISSION_STABLE_DAYS, no v3 call of the
domain was counted in that time, no alert of the flag fires, and every known operation
that reaches the domain has been shown to be served by v4 as v3 serves it (the coverage
of issue 15: its latest comparison, in the shadow or a replay, matched). `verdict` is pure;
`Decommission` gathers its figures.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.timestamps import utc
from jewgo.flags.alerts.store import AlertStore
from jewgo.flags.clock import Clock, utc_now
from jewgo.flags.snapshot import FlagState, Snapshot
from jewgo.flags.stages import DOMAIN_FLAGS, Stage
from jewgo.flags.store import events_table
from jewgo.flags.telemetry.daily_calls import DailyCalls, Usage


@dataclass(frozen=True, slots=True)
class Readiness:
    domain: str
    flag: str
    stage: Stage
    complete_since: datetime | None
    last_v3_call: datetime | None
    v3_calls: int  # in the stable period
    v4_calls: int
    firing_alerts: int
    stable_days: int
    ready: bool
    uncovered_operations: int
    reasons: tuple[str, ...]


def verdict(
    domain: str,
    flag: FlagState,
    complete_since: datetime | None,
    usage: Usage,
    firing_alerts: int,
    now: datetime,
    stable_days: int,
    uncovered: int = 0,
) -> Readiness:
    reasons: list[str] = []
    period = timedelta(days=stable_days)
    if flag.stage is not Stage.COMPLETE:
        reasons.append(f"{flag.name} is {flag.stage.value}, not COMPLETE")
    elif complete_since is None:
        reasons.append(f"{flag.name} is COMPLETE, but no audit event says since when")
    elif now - complete_since < period:
        days = (now - complete_since).total_seconds() / 86400
        reasons.append(f"COMPLETE for {days:.1f} of {stable_days} days")
    last_v3 = usage.last_call["v3"]
    if last_v3 is not None and now - last_v3 < period:
        reasons.append(
            f"v3 served the domain {usage.calls['v3']} times in the last {stable_days} days "
            f"(last {last_v3.isoformat(timespec='seconds')})"
        )
    if firing_alerts:
        reasons.append(f"{firing_alerts} alert(s) of {flag.name} firing")
    if uncovered:
        reasons.append(
            f"{uncovered} known operation(s) reaching the domain not yet shown to be served "
            "by v4 as v3 serves them (migration { coverage })"
        )
    return Readiness(
        domain=domain,
        flag=flag.name,
        stage=flag.stage,
        complete_since=complete_since if flag.stage is Stage.COMPLETE else None,
        last_v3_call=last_v3,
        v3_calls=usage.calls["v3"],
        v4_calls=usage.calls["v4"],
        firing_alerts=firing_alerts,
        stable_days=stable_days,
        ready=not reasons,
        reasons=tuple(reasons),
        uncovered_operations=uncovered,
    )


class Decommission:
    def __init__(
        self,
        engine: AsyncEngine,
        daily: DailyCalls,
        alerts: AlertStore,
        *,
        stable_days: int = 30,
        clock: Clock = utc_now,
        uncovered: Callable[[str], Awaitable[int]] | None = None,
    ) -> None:
        self._uncovered = uncovered
        self._engine = engine
        self._daily = daily
        self._alerts = alerts
        self._stable_days = stable_days
        self._clock = clock

    async def complete_since(self, flag: str) -> datetime | None:
        """When the flag last reached COMPLETE (from another stage), by the audit log."""
        statement = (
            select(events_table.c.at)
            .where(
                events_table.c.flag_name == flag,
                events_table.c.to_stage == Stage.COMPLETE.value,
                events_table.c.from_stage != Stage.COMPLETE.value,
            )
            .order_by(events_table.c.id.desc())
            .limit(1)
        )
        async with self._engine.connect() as conn:
            at = await conn.scalar(statement)
        return utc(at) if at is not None else None

    async def report(self, snapshot: Snapshot) -> Sequence[Readiness]:
        now = self._clock()
        found = []
        for domain, name in DOMAIN_FLAGS.items():
            usage = await self._daily.usage(domain, self._daily.since(self._stable_days))
            firing = len(await self._alerts.firing(name))
            since = await self.complete_since(name)
            flag = snapshot.flags[name]
            uncovered = await self._uncovered(domain) if self._uncovered is not None else 0
            found.append(
                verdict(domain, flag, since, usage, firing, now, self._stable_days, uncovered)
            )
        return found
