"""The migration part of the contract: flags, their decisions and history (ADMIN; a
MODERATOR may read)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from jewgo.flags import summary
from jewgo.flags.decide import Subject, decide, stickiness_key
from jewgo.flags.snapshot import FlagState, Snapshot
from jewgo.flags.stages import FLAG_NAMES
from jewgo.resolvers import policy
from jewgo.resolvers.domain import Role
from jewgo.resolvers.errors import InvalidInput, NotFound
from jewgo.resolvers.validation import parse_id
from jewgo.schema.context import Info
from jewgo.schema.directory.enums import Stage, Variant
from jewgo.schema.operators.alerts import flag_alerts
from jewgo.schema.operators.flag_metrics import FlagMetrics, flag_metrics
from jewgo.schema.operators.flag_records import (
    ACTOR_USER,
    ActorUser,
    FlagEvent,
    FlagUserOverride,
    ShadowIgnore,
    actor_user,
)
from jewgo.schema.operators.operations import FlagCoverage, coverage
from jewgo.schema.operators.rollouts import Rollout
from jewgo.schema.operators.status import OperatorsStatus

MAX_HISTORY = 100


@strawberry.type
class FeatureFlag:
    id: strawberry.ID = strawberry.field(
        description="Stable: the flag's name, so client caches can normalise a flag."
    )
    name: str
    description: str
    stage: Stage
    rollout_percentage: float
    env_override: str | None = strawberry.field(
        description="The stage/percentage forced by environment variables, if any, in words; "
        "null when none."
    )
    user_overrides: list[FlagUserOverride]
    shadow_ignores: list[ShadowIgnore]
    version: int = strawberry.field(
        description="Increments on every change; used for optimistic concurrency."
    )
    updated_at: datetime
    updated_by: str | None
    _snapshot: strawberry.Private[Snapshot]

    @strawberry.field(description=f"Who `updatedBy` is. {ACTOR_USER}")
    async def updated_by_user(self, info: Info) -> ActorUser | None:
        return await actor_user(info, self.updated_by)

    @strawberry.field(
        description="Which implementation this flag picks for the given user (or the caller "
        "when omitted)."
    )
    async def decision_for(self, info: Info, user_id: strawberry.ID | None = None) -> Variant:
        context = info.context
        if user_id is None:
            return decide(self._snapshot, self.name, context.subject).variant
        uid = parse_id(user_id, "userId")
        role = await context.app.admin.user_role(uid)
        if role is None:
            raise NotFound(f"No user with id {uid}")
        subject = Subject(
            user_id=uid,
            staff=Role(role) in (Role.ADMIN, Role.MODERATOR),
            key=stickiness_key(uid, None, None),
            salt=self._snapshot.salt,
        )
        return decide(self._snapshot, self.name, subject).variant

    @strawberry.field(
        description="The share of ordinary callers (staff and user overrides aside) this flag "
        "sends to v4 now, environment overrides included; for a domain flag, with the master "
        "flag's (the smaller of the two, as cohorts nest)."
    )
    def effective_percentage(self) -> float:
        return summary.effective_share(self._snapshot, self.name)

    @strawberry.field
    async def metrics(self, info: Info) -> FlagMetrics:
        return await flag_metrics(info, self.name)

    @strawberry.field
    async def history(self, info: Info, first: int = 20) -> list[FlagEvent]:
        if not 0 <= first <= MAX_HISTORY:
            raise InvalidInput(
                f"`first` must be between 0 and {MAX_HISTORY}", {"first": "out of range"}
            )
        return [FlagEvent.of(e) for e in await info.context.app.admin.history(self.name, first)]

    alerts = strawberry.field(
        resolver=flag_alerts, description="This flag's alert events (FIRING: those firing now)."
    )

    @classmethod
    def of(cls, state: FlagState, snapshot: Snapshot) -> FeatureFlag:
        env = snapshot.env.get(state.name)
        overrides = snapshot.overrides.get(state.name, {})
        return cls(
            id=strawberry.ID(state.name),
            name=state.name,
            description=state.description,
            stage=state.stage,
            rollout_percentage=state.percentage,
            env_override=env.describe(state.name) if env is not None else None,
            user_overrides=[
                FlagUserOverride(user_id=strawberry.ID(str(uid)), enabled=enabled)
                for uid, enabled in sorted(overrides.items())
            ],
            shadow_ignores=[
                ShadowIgnore(target=target, reason=reason)
                for target, reason in sorted(snapshot.ignores.get(state.name, {}).items())
            ],
            version=state.version,
            updated_at=state.updated_at,
            updated_by=state.updated_by,
            _snapshot=snapshot,
        )


@strawberry.type
class StageCounts:
    disabled: int
    testing: int
    partial: int
    full: int
    complete: int


@strawberry.type
class ComponentHealth:
    name: str
    status: str
    detail: str | None


@strawberry.type
class MigrationStatus(OperatorsStatus):
    enabled_features: int = strawberry.field(
        description="Flags that can send anyone to v4 (not DISABLED, nor forced off)."
    )
    total_features: int
    migration_percentage: float = strawberry.field(
        description="Mean share of domain traffic on v4: per domain, the smaller of the "
        "master's and the domain flag's effective percentage."
    )
    stages: StageCounts
    flags: list[FeatureFlag]

    @strawberry.field(description="The newest rollout of every flag that has had one.")
    async def rollouts(self, info: Info) -> list[Rollout]:
        return [Rollout.of(r) for r in (await info.context.app.admin.rollouts()).values()]

    @strawberry.field(
        description="Per domain flag: the known operations that reach its domain, and how "
        "many of them v4 has been shown to serve as v3 does."
    )
    async def coverage(self, info: Info) -> list[FlagCoverage]:
        return await coverage(info)

    @strawberry.field(
        description="Database (ok/down), cache (ok, or degraded on the in-memory fallback) "
        "and the flag snapshot's age."
    )
    async def health(self, info: Info) -> list[ComponentHealth]:
        return [
            ComponentHealth(name=c.name, status=c.status, detail=c.detail)
            for c in await info.context.app.health()
        ]

    @classmethod
    def of(cls, snapshot: Snapshot) -> MigrationStatus:
        counts = summary.stage_counts(snapshot)
        return cls(
            enabled_features=sum(summary.enabled(snapshot, name) for name in FLAG_NAMES),
            total_features=len(FLAG_NAMES),
            migration_percentage=summary.migration_percentage(snapshot),
            stages=StageCounts(**{stage.value.lower(): counts[stage] for stage in Stage}),
            flags=[FeatureFlag.of(snapshot.flags[name], snapshot) for name in FLAG_NAMES],
        )


def _actor(info: Info) -> str:
    viewer = policy.admin(info.context.viewer)
    return f"user:{viewer.id}"


@strawberry.type
class MigrationQuery:
    @strawberry.field(description="ADMIN, or a MODERATOR to read (the operator console).")
    async def migration(self, info: Info) -> MigrationStatus:
        policy.staff(info.context.viewer)
        return MigrationStatus.of(await info.context.app.flags.load())

    @strawberry.field(description="ADMIN, or a MODERATOR to read (the operator console).")
    async def flag(self, info: Info, name: str) -> FeatureFlag | None:
        policy.staff(info.context.viewer)
        snapshot = await info.context.app.flags.load()
        state = snapshot.flags.get(name)
        return FeatureFlag.of(state, snapshot) if state is not None else None


@strawberry.type
class MigrationMutation:
    @strawberry.mutation(
        description="ADMIN only. Up one stage at a time: a jump over stages (TESTING to "
        "COMPLETE, say) needs force: true and a reason, and is audited as forced. Leaving "
        "COMPLETE needs force: true. expectedVersion, when given, must equal the flag's version."
    )
    async def set_flag_stage(
        self,
        info: Info,
        name: str,
        stage: Stage,
        reason: str | None = None,
        force: bool = False,
        expected_version: int | None = None,
    ) -> FeatureFlag:
        context = info.context
        state = await context.app.admin.set_stage(
            name,
            stage,
            actor=_actor(info),
            reason=reason,
            force=force,
            expected_version=expected_version,
        )
        return FeatureFlag.of(state, context.app.flags.snapshot)

    @strawberry.mutation(description="ADMIN only. 0 <= percentage <= 100.")
    async def set_rollout_percentage(
        self,
        info: Info,
        name: str,
        percentage: float,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> FeatureFlag:
        context = info.context
        state = await context.app.admin.set_percentage(
            name,
            float(percentage),
            actor=_actor(info),
            reason=reason,
            expected_version=expected_version,
        )
        return FeatureFlag.of(state, context.app.flags.snapshot)

    @strawberry.mutation(description="ADMIN only. enabled: null removes the override.")
    async def set_user_override(
        self, info: Info, name: str, user_id: strawberry.ID, enabled: bool | None
    ) -> FeatureFlag:
        context = info.context
        actor = _actor(info)
        uid = parse_id(user_id, "userId")
        state = await context.app.admin.set_user_override(name, uid, enabled, actor=actor)
        return FeatureFlag.of(state, context.app.flags.snapshot)

    @strawberry.mutation(
        description="ADMIN only. Every flag when name is null; flags at COMPLETE are left as "
        "they are."
    )
    async def rollback(self, info: Info, reason: str, name: str | None = None) -> list[FeatureFlag]:
        context = info.context
        states = await context.app.admin.rollback(name, actor=_actor(info), reason=reason)
        return [FeatureFlag.of(state, context.app.flags.snapshot) for state in states]
