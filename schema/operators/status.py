"""What `MigrationStatus` tells operators beyond the flags: alerts, the seed's rollout
health and decommission readiness (a base of schema.operators.migration.MigrationStatus)."""

from __future__ import annotations

import strawberry

from jewgo.schema.context import Info
from jewgo.schema.operators.alerts import Alert, AlertState, alerts_of
from jewgo.schema.operators.decommission import DomainDecommission, decommission_of
from jewgo.schema.operators.rollout_health import MigrationHealth, migration_health


@strawberry.type
class OperatorsStatus:
    @strawberry.field(description="Per domain: may v3 be retired now, and if not, why.")
    async def decommission(self, info: Info) -> list[DomainDecommission]:
        return await decommission_of(info)

    @strawberry.field(description="The seed's rollout status: health, users, alerts.")
    async def rollout_health(self, info: Info) -> MigrationHealth:
        return await migration_health(info)

    @strawberry.field(
        description="Alert events newest first: FIRING, the alerts firing now; RESOLVED, "
        "their resolutions; null, every firing and resolution."
    )
    async def alerts(
        self, info: Info, state: AlertState | None = None, first: int = 20
    ) -> list[Alert]:
        return await alerts_of(info, state, first)
