"""The parts of a flag that are records: user overrides, audit events, shadow ignores."""

from __future__ import annotations

from datetime import datetime

import strawberry

from jewgo.flags.store import FlagEvent as StoredEvent
from jewgo.schema.enums import Stage


@strawberry.type
class FlagUserOverride:
    user_id: strawberry.ID
    enabled: bool


@strawberry.type
class FlagEvent:
    id: strawberry.ID = strawberry.field(description="Stable: the event's place in the log.")
    at: datetime
    actor: str
    action: str
    from_stage: Stage | None
    to_stage: Stage | None
    from_percentage: float | None
    to_percentage: float | None
    reason: str | None

    @classmethod
    def of(cls, event: StoredEvent) -> FlagEvent:
        return cls(
            id=strawberry.ID(f"FlagEvent:{event.id}"),
            at=event.at,
            actor=event.actor,
            action=event.action,
            from_stage=event.from_stage,
            to_stage=event.to_stage,
            from_percentage=event.from_percentage,
            to_percentage=event.to_percentage,
            reason=event.reason,
        )


@strawberry.type(description="Left out of the flag's shadow comparisons, and why.")
class ShadowIgnore:
    target: str = strawberry.field(
        description="A schema field (`Restaurant.website`) or a response path prefix "
        "(`restaurants.edges.node.website`, without list indexes)."
    )
    reason: str
