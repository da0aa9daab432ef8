"""Rollouts in the schema: their types, `migration { rollouts }` and the mutations."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime

import strawberry

from jewgo.flags import rollouts as model
from jewgo.flags.controller import utc_now
from jewgo.flags.rollouts import RolloutState
from jewgo.resolvers import policy
from jewgo.schema.context import Info


@strawberry.type
class RolloutConfig:
    initial_percentage: float
    increment_percentage: float
    max_percentage: float
    increment_interval_seconds: int
    monitoring_period_seconds: int
    auto_rollback_threshold_percent: float
    min_requests: int
    enable_auto_rollback: bool
    enable_auto_increment: bool
    max_latency_ratio: float = strawberry.field(
        description="No step while v4's p95 latency exceeds this multiple of v3's."
    )
    max_shadow_mismatch_percent: float = strawberry.field(
        description="No step while more shadow comparisons than this differ."
    )

    @classmethod
    def of(cls, config: model.RolloutConfig) -> RolloutConfig:
        return cls(**{f.name: getattr(config, f.name) for f in fields(config)})


@strawberry.input
class RolloutConfigInput:
    initial_percentage: float | None = 5
    increment_percentage: float | None = 10
    max_percentage: float | None = 100
    increment_interval_seconds: int | None = 86400
    monitoring_period_seconds: int | None = 7200
    auto_rollback_threshold_percent: float | None = 5
    min_requests: int | None = 100
    enable_auto_rollback: bool | None = True
    enable_auto_increment: bool | None = True
    max_latency_ratio: float | None = strawberry.field(
        default=1.5,
        description="No step while v4's p95 latency exceeds this multiple of v3's.",
    )
    max_shadow_mismatch_percent: float | None = strawberry.field(
        default=0.1, description="No step while more shadow comparisons than this differ."
    )

    def to_model(self) -> model.RolloutConfig:
        # An explicit null means the default, as an omitted field does.
        given = {
            name: value
            for name, value in vars(self).items()
            if value is not None and value is not strawberry.UNSET
        }
        for name in ("initial_percentage", "increment_percentage", "max_percentage"):
            if name in given:
                given[name] = float(given[name])
        return model.RolloutConfig(**given)


@strawberry.type
class Rollout:
    flag: str
    state: RolloutState
    current_percentage: float
    config: RolloutConfig
    started_at: datetime
    next_step_at: datetime | None
    last_decision: str | None
    started_by: str
    updated_at: datetime

    @classmethod
    def of(cls, rollout: model.Rollout) -> Rollout:
        return cls(
            flag=rollout.flag,
            state=rollout.state,
            current_percentage=rollout.current_percentage,
            config=RolloutConfig.of(rollout.config),
            started_at=rollout.started_at,
            next_step_at=rollout.next_step_at,
            last_decision=rollout.last_decision,
            started_by=rollout.started_by,
            updated_at=rollout.updated_at,
        )


def _actor(info: Info) -> str:
    return f"user:{policy.admin(info.context.viewer).id}"


async def _transition(
    info: Info, name: str, allowed: tuple[RolloutState, ...], to: RolloutState
) -> Rollout:
    actor = _actor(info)
    rollout = await info.context.rollouts.transition(name, allowed, to, actor=actor, now=utc_now())
    return Rollout.of(rollout)


@strawberry.type
class RolloutMutation:
    @strawberry.mutation(description="ADMIN only.")
    async def start_rollout(
        self, info: Info, name: str, config: RolloutConfigInput | None = None
    ) -> Rollout:
        actor = _actor(info)
        settings = (config or RolloutConfigInput()).to_model()
        rollout = await info.context.rollouts.start(name, settings, actor=actor, now=utc_now())
        await info.context.flags.changed()
        return Rollout.of(rollout)

    @strawberry.mutation(description="ADMIN only.")
    async def pause_rollout(self, info: Info, name: str) -> Rollout:
        return await _transition(info, name, (RolloutState.RUNNING,), RolloutState.PAUSED)

    @strawberry.mutation(description="ADMIN only.")
    async def resume_rollout(self, info: Info, name: str) -> Rollout:
        return await _transition(info, name, (RolloutState.PAUSED,), RolloutState.RUNNING)

    @strawberry.mutation(description="ADMIN only.")
    async def stop_rollout(self, info: Info, name: str) -> Rollout:
        return await _transition(info, name, model.ACTIVE, RolloutState.STOPPED)
