"""The webhook outbox: notifications waiting to be delivered, retried with backoff, and
what became of each (delivered, or failed after the last attempt)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.timestamps import utc
from jewgo.flags.alerts.store import outbox_table


@dataclass(frozen=True, slots=True)
class Notification:
    id: int
    alert_id: int
    url: str
    dedup_key: str
    body: str
    state: str  # PENDING, DELIVERED, FAILED
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_error: str | None


def _notification(row: Mapping[Any, Any]) -> Notification:
    return Notification(
        id=int(row["id"]),
        alert_id=int(row["alert_id"]),
        url=row["url"],
        dedup_key=row["dedup_key"],
        body=row["body"],
        state=row["state"],
        attempts=int(row["attempts"]),
        next_attempt_at=utc(row["next_attempt_at"]),
        delivered_at=utc(row["delivered_at"]),
        last_error=row["last_error"],
    )


class Outbox:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def due(self, now: datetime, limit: int) -> list[Notification]:
        statement = (
            select(outbox_table)
            .where(outbox_table.c.state == "PENDING", outbox_table.c.next_attempt_at <= now)
            .order_by(outbox_table.c.id)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement)).mappings().all()
        return [_notification(row) for row in rows]

    async def _set(self, notification_id: int, **values: Any) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(outbox_table)
                .where(outbox_table.c.id == notification_id, outbox_table.c.state == "PENDING")
                .values(**values)
            )

    async def delivered(self, notification: Notification, now: datetime) -> None:
        await self._set(
            notification.id,
            state="DELIVERED",
            attempts=notification.attempts + 1,
            delivered_at=now,
        )

    async def retry(self, notification: Notification, at: datetime, error: str) -> None:
        await self._set(
            notification.id,
            attempts=notification.attempts + 1,
            next_attempt_at=at,
            last_error=error[:500],
        )

    async def failed(self, notification: Notification, error: str) -> None:
        await self._set(
            notification.id,
            state="FAILED",
            attempts=notification.attempts + 1,
            last_error=error[:500],
        )

    async def of(self, alert_ids: Sequence[int]) -> dict[int, list[Notification]]:
        """The notifications of each alert event, by its id."""
        found: dict[int, list[Notification]] = {alert_id: [] for alert_id in alert_ids}
        if not alert_ids:
            return found
        statement = (
            select(outbox_table)
            .where(outbox_table.c.alert_id.in_(list(alert_ids)))
            .order_by(outbox_table.c.id)
        )
        async with self._engine.connect() as conn:
            for row in (await conn.execute(statement)).mappings().all():
                notification = _notification(row)
                found[notification.alert_id].append(notification)
        return found
