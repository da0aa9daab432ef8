"""Decommission readiness in the schema: `migration { decommission { … } }`."""

from __future__ import annotations

from datetime import datetime

import strawberry

from jewgo.flags.alerts.decommission import Readiness
from jewgo.schema.context import Info
from jewgo.schema.directory.enums import Stage


@strawberry.type(description="Whether v3 may be retired for one domain, and why not.")
class DomainDecommission:
    domain: str
    flag: str
    stage: Stage
    complete_since: datetime | None = strawberry.field(
        description="When the flag last reached COMPLETE; null when it is not COMPLETE."
    )
    last_v3_call: datetime | None = strawberry.field(
        description="The last v3 call of the domain the daily counts know of."
    )
    v3_calls: int = strawberry.field(description="v3 calls in the stable period (by day).")
    v4_calls: int = strawberry.field(description="v4 calls in the stable period (by day).")
    firing_alerts: int
    uncovered_operations: int = strawberry.field(
        description="Known operations reaching the domain whose latest comparison of v3 "
        "and v4 did not match, or that were never compared (migration { coverage })."
    )
    stable_days: int = strawberry.field(description="DECOMMISSION_STABLE_DAYS.")
    ready_to_decommission: bool = strawberry.field(
        description="COMPLETE for stableDays, no v3 call in that time, no alert firing, "
        "every known operation of the domain served by v4 as v3 serves it."
    )
    reasons: list[str] = strawberry.field(description="Why not; empty when ready.")

    @classmethod
    def of(cls, found: Readiness) -> DomainDecommission:
        return cls(
            domain=found.domain,
            flag=found.flag,
            stage=found.stage,
            complete_since=found.complete_since,
            last_v3_call=found.last_v3_call,
            v3_calls=found.v3_calls,
            v4_calls=found.v4_calls,
            firing_alerts=found.firing_alerts,
            uncovered_operations=found.uncovered_operations,
            stable_days=found.stable_days,
            ready_to_decommission=found.ready,
            reasons=list(found.reasons),
        )


async def decommission_of(info: Info) -> list[DomainDecommission]:
    context = info.context
    found = await context.app.decommission.report(await context.app.flags.load())
    return [DomainDecommission.of(each) for each in found]
