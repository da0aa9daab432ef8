"""Alerts in the database: every firing and resolution appended with its figures, the
outbox rows of its notifications written in the same transaction (so a leader that dies
after firing leaves them for the next), and the controller's heartbeat.

The store persists; what fires and resolves is flags.alerts.lifecycle's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.models import AlertNotificationRow, AlertRow, ControllerHeartbeatRow
from jewgo.db.timestamps import utc
from jewgo.flags.alerts.lifecycle import AlertState, Key, Transition, fingerprint
from jewgo.flags.alerts.payload import body, dedup_key
from jewgo.flags.alerts.rules import severity

alerts_table = cast(Table, AlertRow.__table__)
outbox_table = cast(Table, AlertNotificationRow.__table__)
heartbeat_table = cast(Table, ControllerHeartbeatRow.__table__)


@dataclass(frozen=True, slots=True)
class Alert:
    """One stored event of an alert: its firing, or its resolution."""

    id: int
    fingerprint: str
    rule: str
    flag: str  # "" for the fleet
    severity: str
    state: AlertState
    starts_at: datetime
    at: datetime
    value: float
    threshold: float
    summary: str
    figures: Mapping[str, Any]

    @property
    def key(self) -> Key:
        return (self.rule, self.flag)


def _alert(row: Mapping[Any, Any]) -> Alert:
    return Alert(
        id=int(row["id"]),
        fingerprint=row["fingerprint"],
        rule=row["rule"],
        flag=row["flag_name"],
        severity=row["severity"],
        state=AlertState(row["state"]),
        starts_at=utc(row["starts_at"]),
        at=utc(row["at"]),
        value=float(row["value"]),
        threshold=float(row["threshold"]),
        summary=row["summary"],
        figures=json.loads(row["figures"]),
    )


class AlertStore:
    def __init__(
        self, engine: AsyncEngine, urls: Sequence[str] = (), external_url: str = ""
    ) -> None:
        self._engine = engine
        self._urls = tuple(urls)
        self._external_url = external_url

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    async def firing(self, flag: str | None = None) -> list[Alert]:
        """Alerts firing now (the newest event of each fingerprint is a firing), newest first."""
        newest = select(func.max(alerts_table.c.id)).group_by(alerts_table.c.fingerprint)
        statement = select(alerts_table).where(
            alerts_table.c.id.in_(newest.scalar_subquery()),
            alerts_table.c.state == AlertState.FIRING.value,
        )
        if flag is not None:
            statement = statement.where(alerts_table.c.flag_name == flag)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement.order_by(alerts_table.c.id.desc()))).mappings()
            return [_alert(row) for row in rows.all()]

    async def events(
        self, first: int, *, state: AlertState | None = None, flag: str | None = None
    ) -> list[Alert]:
        """Stored events newest first: FIRING, the alerts firing now; RESOLVED, the
        resolutions; None, every event."""
        if state is AlertState.FIRING:
            return (await self.firing(flag))[:first]
        statement = select(alerts_table).order_by(alerts_table.c.id.desc()).limit(first)
        if state is not None:
            statement = statement.where(alerts_table.c.state == state.value)
        if flag is not None:
            statement = statement.where(alerts_table.c.flag_name == flag)
        async with self._engine.connect() as conn:
            return [_alert(row) for row in (await conn.execute(statement)).mappings().all()]

    async def record(self, transitions: Sequence[Transition], at: datetime) -> list[Alert]:
        """Each transition appended, with one outbox row per receiver, in one transaction."""
        stored: list[Alert] = []
        async with self._engine.begin() as conn:
            for transition in transitions:
                signal = transition.signal
                rule, flag = transition.key
                values: dict[str, Any] = {
                    "fingerprint": fingerprint(rule, flag),
                    "rule": rule,
                    "flag_name": flag,
                    "severity": severity(signal.rule),
                    "state": transition.state.value,
                    "starts_at": transition.starts_at,
                    "at": at,
                    "value": signal.value,
                    "threshold": signal.threshold,
                    "summary": signal.summary,
                    "figures": json.dumps(dict(signal.figures), sort_keys=True, default=str),
                }
                result = await conn.execute(
                    insert(alerts_table).values(**values).returning(alerts_table.c.id)
                )
                alert = _alert({"id": result.scalar_one(), **values})
                stored.append(alert)
                payload = body(
                    rule=rule, flag=flag, state=alert.state, fingerprint=alert.fingerprint,
                    starts_at=alert.starts_at, at=at, summary=alert.summary,
                    figures=alert.figures, external_url=self._external_url,
                )  # fmt: skip
                key = dedup_key(alert.fingerprint, alert.state, alert.starts_at)
                for url in self._urls:
                    await conn.execute(
                        insert(outbox_table).values(
                            alert_id=alert.id,
                            url=url,
                            dedup_key=key,
                            body=payload,
                            state="PENDING",
                            attempts=0,
                            created_at=at,
                            next_attempt_at=at,
                        )
                    )
        return stored

    async def heartbeat(self, leader: str, now: datetime) -> tuple[str | None, datetime | None]:
        """Mark this tick of `leader`; who ticked before, and when."""
        async with self._engine.begin() as conn:
            row = (await conn.execute(select(heartbeat_table))).mappings().first()
            if row is None:
                await conn.execute(insert(heartbeat_table).values(id=1, leader=leader, at=now))
                return None, None
            await conn.execute(
                update(heartbeat_table)
                .where(heartbeat_table.c.id == 1)
                .values(leader=leader, at=now)
            )
            return str(row["leader"]), utc(row["at"])
