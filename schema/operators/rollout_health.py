"""Rollout health, the seed's figures: on every `Rollout` and, for the whole migration, on
`MigrationStatus.rolloutHealth`."""

from __future__ import annotations

import strawberry

from jewgo.flags import summary
from jewgo.flags.alerts.rollout_health import rollout_figures
from jewgo.flags.rollouts.model import ACTIVE, Rollout
from jewgo.flags.stages import DOMAIN_FLAGS
from jewgo.flags.telemetry.window import versions_of
from jewgo.schema.context import Info


@strawberry.type
class RolloutHealth:
    is_healthy: bool = strawberry.field(
        description="Not rolled back, no alert of its flag firing, v4's error rate within "
        "the rollback threshold."
    )
    error_rate_percent: float = strawberry.field(
        description="v4's error rate over the monitoring window, weighted by caller as the "
        "guard weighs it."
    )
    users_affected: int = strawberry.field(
        description="Distinct callers (stickiness keys) v4 served under the flag since the "
        "rollout started: fleet-wide by HyperLogLog (about 1 % error) with Redis, this "
        "instance's exact count without. The sum of signedInUsersAffected and "
        "anonymousCallersAffected."
    )
    signed_in_users_affected: int = strawberry.field(
        description="Of usersAffected, the signed-in users (their ids come from verified tokens)."
    )
    anonymous_callers_affected: int = strawberry.field(
        description="Of usersAffected, the anonymous callers: X-Client-Id values, else "
        "addresses, which one caller can invent in any number."
    )
    alerts_count: int = strawberry.field(description="Alerts of the flag firing now.")
    reasons: list[str] = strawberry.field(description="Why it is not healthy; empty if it is.")


async def rollout_health(info: Info, rollout: Rollout) -> RolloutHealth:
    context = info.context
    found = await rollout_figures(
        rollout, metrics=context.app.metrics, alerts=context.app.alerts, reach=context.app.reach
    )
    return RolloutHealth(
        is_healthy=found.is_healthy,
        error_rate_percent=found.error_rate_percent,
        users_affected=found.users_affected,
        signed_in_users_affected=found.signed_in_users_affected,
        anonymous_callers_affected=found.anonymous_callers_affected,
        alerts_count=found.alerts_count,
        reasons=list(found.reasons),
    )


@strawberry.type
class FlagUsers:
    flag: str
    users: int = strawberry.field(description="Known users v4 serves now under this flag.")


@strawberry.type
class MigrationHealth:
    is_healthy: bool = strawberry.field(
        description="No alert firing and every active rollout healthy."
    )
    error_rate_percent: float = strawberry.field(
        description="v4's error rate over every domain, in the metrics window."
    )
    users_affected: int = strawberry.field(
        description="The sum of the active rollouts' usersAffected."
    )
    alerts_count: int = strawberry.field(description="Alerts firing now, fleet-wide.")
    known_users: int = strawberry.field(description="Users in the users table.")
    users_selected: list[FlagUsers] = strawberry.field(
        description="Per domain flag, how many known users the current stages and "
        "percentages send to v4 (the bucket function over the users table)."
    )


async def migration_health(info: Info) -> MigrationHealth:
    context = info.context
    rollouts = [r for r in (await context.app.admin.rollouts()).values() if r.state in ACTIVE]
    healths = [await rollout_health(info, rollout) for rollout in rollouts]
    cells = await context.app.metrics.window(context.app.metrics_window_seconds)
    v4 = versions_of(cells, tuple(DOMAIN_FLAGS))["v4"]
    firing = await context.app.alerts.firing()
    users = await context.app.known_users()
    selected = summary.selected_users(await context.app.flags.load(), users)
    return MigrationHealth(
        is_healthy=not firing and all(h.is_healthy for h in healths),
        error_rate_percent=round(v4.error_rate_percent, 3),
        users_affected=sum(h.users_affected for h in healths),
        alerts_count=len(firing),
        known_users=len(users),
        users_selected=[FlagUsers(flag=f, users=n) for f, n in selected.items()],
    )
