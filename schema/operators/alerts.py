"""Alerts in the schema: `migration { alerts(state:, first:) }` and `FeatureFlag.alerts`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from jewgo.flags.alerts.lifecycle import AlertState
from jewgo.flags.alerts.store import Alert as StoredAlert
from jewgo.resolvers.errors import InvalidInput
from jewgo.schema.context import Info

MAX_ALERTS = 100
__all__ = ["Alert", "AlertState", "alerts_of", "flag_alerts"]

strawberry.enum(AlertState, name="AlertState")


@strawberry.type(description="One stored event of an alert: its firing, or its resolution.")
class Alert:
    id: strawberry.ID = strawberry.field(description="Stable: the event's place in the log.")
    rule: str
    flag: str | None = strawberry.field(description="The flag it is about; null: the fleet.")
    severity: str = strawberry.field(description="warning or critical.")
    state: AlertState
    fingerprint: str = strawberry.field(
        description="Alertmanager's: the same for every event of one (rule, flag)."
    )
    starts_at: datetime = strawberry.field(description="When it fired.")
    at: datetime = strawberry.field(description="When this event happened.")
    value: float = strawberry.field(description="The figure compared with the threshold.")
    threshold: float
    summary: str
    figures: JSON = strawberry.field(description="The figures that made it fire or resolve.")

    @classmethod
    def of(cls, alert: StoredAlert) -> Alert:
        return cls(
            id=strawberry.ID(f"Alert:{alert.id}"),
            rule=alert.rule,
            flag=alert.flag or None,
            severity=alert.severity,
            state=alert.state,
            fingerprint=alert.fingerprint,
            starts_at=alert.starts_at,
            at=alert.at,
            value=alert.value,
            threshold=alert.threshold,
            summary=alert.summary,
            figures=cast(JSON, dict(alert.figures)),
        )


async def alerts_of(
    info: Info, state: AlertState | None, first: int, flag: str | None = None
) -> list[Alert]:
    """FIRING: the alerts firing now; RESOLVED: resolutions; null: every event; newest first."""
    if not 0 <= first <= MAX_ALERTS:
        raise InvalidInput(f"`first` must be between 0 and {MAX_ALERTS}", {"first": "out of range"})
    found = await info.context.app.alerts.events(first, state=state, flag=flag)
    return [Alert.of(alert) for alert in found]


async def flag_alerts(
    root: strawberry.Parent[Any], info: Info, state: AlertState | None = None, first: int = 20
) -> list[Alert]:
    """`FeatureFlag.alerts`: the alert events of the flag `root`."""
    return await alerts_of(info, state, first, str(root.name))
