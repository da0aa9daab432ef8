"""Rollouts in the schema: their types, `migration { rollouts }` and the mutations."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Annotated

import strawberry

from jewgo.flags.rollouts import model
from jewgo.flags.rollouts.model import RolloutState
from jewgo.flags.rules import Move
from jewgo.resolvers import policy
from jewgo.schema.context import Info
from jewgo.schema.operators.rollout_health import RolloutHealth, rollout_health


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
    max_caller_share_percent: float = strawberry.field(
        description="No caller weighs more than this share of the error rate."
    )
    min_error_callers: int = strawberry.field(
        description="A rollback needs v4 errors from at least this many distinct callers."
    )
    pause_at: list[float] = strawberry.field(
        description="Percentages at which the rollout pauses for a person (resumeRollout)."
    )
    max_inconclusive_windows: int = strawberry.field(
        description="Windows in a row the guards may stay inconclusive (thin traffic, no v3 "
        "baseline) before the rollout pauses; 0: it holds forever."
    )
    require_v3_baseline: bool = strawberry.field(
        description="A window without v3 calls to compare with is inconclusive."
    )
    require_replay: bool = strawberry.field(
        description="Started only after a passing `jewgo replay` of the flag."
    )

    @classmethod
    def of(cls, config: model.RolloutConfig) -> RolloutConfig:
        given = {f.name: getattr(config, f.name) for f in fields(config)}
        return cls(**given | {"pause_at": list(config.pause_at)})


_DEFAULT = model.DEFAULT_CONFIG


@strawberry.input
class RolloutConfigInput:
    initial_percentage: float | None = _DEFAULT.initial_percentage
    increment_percentage: float | None = _DEFAULT.increment_percentage
    max_percentage: float | None = _DEFAULT.max_percentage
    increment_interval_seconds: int | None = _DEFAULT.increment_interval_seconds
    monitoring_period_seconds: int | None = _DEFAULT.monitoring_period_seconds
    auto_rollback_threshold_percent: float | None = _DEFAULT.auto_rollback_threshold_percent
    min_requests: int | None = _DEFAULT.min_requests
    enable_auto_rollback: bool | None = _DEFAULT.enable_auto_rollback
    enable_auto_increment: bool | None = _DEFAULT.enable_auto_increment
    max_latency_ratio: float | None = strawberry.field(
        default=_DEFAULT.max_latency_ratio,
        description="No step while v4's p95 latency exceeds this multiple of v3's.",
    )
    max_shadow_mismatch_percent: float | None = strawberry.field(
        default=_DEFAULT.max_shadow_mismatch_percent,
        description="No step while more shadow comparisons than this differ.",
    )
    max_caller_share_percent: float | None = strawberry.field(
        default=_DEFAULT.max_caller_share_percent,
        description="No caller (a user, or an address) weighs more than this share of "
        "the error rate the rollback is judged by.",
    )
    min_error_callers: int | None = strawberry.field(
        default=_DEFAULT.min_error_callers,
        description="A rollback needs v4 errors from at least this many distinct callers.",
    )
    pause_at: list[float] | None = strawberry.field(
        default=None, description="Percentages at which the rollout pauses for a person."
    )
    max_inconclusive_windows: int | None = strawberry.field(
        default=_DEFAULT.max_inconclusive_windows,
        description="Inconclusive windows in a row before the rollout pauses (0: never).",
    )
    require_v3_baseline: bool | None = strawberry.field(
        default=_DEFAULT.require_v3_baseline,
        description="A window without v3 calls to compare with is inconclusive.",
    )
    require_replay: bool | None = strawberry.field(
        default=_DEFAULT.require_replay,
        description="startRollout refuses (FAILED_PRECONDITION) unless the flag's latest "
        "`jewgo replay` passed within REPLAY_MAX_AGE_SECONDS.",
    )

    def to_model(self) -> model.RolloutConfig:
        # An explicit null means the default, as an omitted field does.
        given = {
            name: value
            for name, value in vars(self).items()
            if value is not None and value is not strawberry.UNSET
        }
        for name in (
            "initial_percentage",
            "increment_percentage",
            "max_percentage",
            "max_caller_share_percent",
        ):
            if name in given:
                given[name] = float(given[name])
        if "pause_at" in given:
            given["pause_at"] = tuple(sorted({float(gate) for gate in given["pause_at"]}))
        return model.RolloutConfig(**given)


@strawberry.type
class Rollout:
    id: strawberry.ID = strawberry.field(description="Stable for the life of the rollout.")
    flag: str
    state: RolloutState
    current_percentage: float
    config: RolloutConfig
    started_at: datetime
    next_step_at: datetime | None
    last_decision: str | None
    started_by: str
    updated_at: datetime
    _model: strawberry.Private[model.Rollout]

    @strawberry.field(description="The seed's figures: healthy, error rate, users, alerts.")
    async def health(self, info: Info) -> RolloutHealth:
        return await rollout_health(info, self._model)

    @classmethod
    def of(cls, rollout: model.Rollout) -> Rollout:
        return cls(
            id=strawberry.ID(f"Rollout:{rollout.id}"),
            flag=rollout.flag,
            state=rollout.state,
            current_percentage=rollout.current_percentage,
            config=RolloutConfig.of(rollout.config),
            started_at=rollout.started_at,
            next_step_at=rollout.next_step_at,
            last_decision=rollout.last_decision,
            started_by=rollout.started_by,
            updated_at=rollout.updated_at,
            _model=rollout,
        )


def _actor(info: Info) -> str:
    return f"user:{policy.admin(info.context.viewer).id}"


async def _move(info: Info, name: str, move: Move) -> Rollout:
    actor = _actor(info)
    return Rollout.of(await info.context.app.admin.move_rollout(name, move, actor=actor))


@strawberry.type
class RolloutMutation:
    @strawberry.mutation(
        description="ADMIN only. Starting below the percentage the flag serves now (FULL "
        "serves 100) sends callers back to v3: refused (BAD_USER_INPUT) unless allowLowering."
    )
    async def start_rollout(
        self,
        info: Info,
        name: str,
        config: RolloutConfigInput | None = None,
        allow_lowering: Annotated[
            bool,
            strawberry.argument(
                description="Confirms a start below the percentage the flag serves now."
            ),
        ] = False,
    ) -> Rollout:
        actor = _actor(info)
        settings = (config or RolloutConfigInput()).to_model()
        started = await info.context.app.admin.start_rollout(
            name, settings, actor=actor, allow_lowering=allow_lowering
        )
        return Rollout.of(started)

    @strawberry.mutation(description="ADMIN only.")
    async def pause_rollout(self, info: Info, name: str) -> Rollout:
        return await _move(info, name, Move.PAUSE)

    @strawberry.mutation(description="ADMIN only.")
    async def resume_rollout(self, info: Info, name: str) -> Rollout:
        return await _move(info, name, Move.RESUME)

    @strawberry.mutation(description="ADMIN only.")
    async def stop_rollout(self, info: Info, name: str) -> Rollout:
        return await _move(info, name, Move.STOP)
