"""Rollouts in the database, and the changes a rollout makes to its flag.

The store persists; what may change is decided elsewhere (flags.rules for people,
flags.rollouts.model for the controller). A step of the controller (advance, complete, roll
back) changes the rollout and the flag in one transaction, each under its version check:
if a human paused the rollout or touched the flag meanwhile, the step changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from jewgo.db.models import RolloutRow
from jewgo.db.timestamps import utc
from jewgo.flags.errors import VersionConflict
from jewgo.flags.rollouts.model import (
    ACTIVE,
    Action,
    Health,
    Rollout,
    RolloutConfig,
    RolloutState,
    Verdict,
    after,
)
from jewgo.flags.snapshot import FlagState
from jewgo.flags.stages import FLAG_NAMES, Stage
from jewgo.flags.store import FlagStore

CONTROLLER = "rollout-controller"
rollouts_table = cast(Table, RolloutRow.__table__)


def _rollout(row: Mapping[Any, Any]) -> Rollout:
    started, updated = utc(row["started_at"]), utc(row["updated_at"])
    assert started is not None and updated is not None
    return Rollout(
        id=row["id"],
        flag=row["flag_name"],
        state=RolloutState(row["state"]),
        current_percentage=float(row["current_percentage"]),
        config=RolloutConfig.from_json(row["config"]),
        started_at=started,
        updated_at=updated,
        next_step_at=utc(row["next_step_at"]),
        last_decision=row["last_decision"],
        started_by=row["started_by"],
        version=int(row["version"]),
        inconclusive_since=utc(row.get("inconclusive_since")),
    )


def _compared(rollout: Rollout, health: Health) -> dict[str, Any]:
    """The audit event's details: the figures, and the thresholds they were compared with."""
    config = rollout.config
    thresholds = {
        "autoRollbackThresholdPercent": config.auto_rollback_threshold_percent,
        "minRequests": config.min_requests,
        "minErrorCallers": config.min_error_callers,
        "maxCallerSharePercent": config.max_caller_share_percent,
        "maxLatencyRatio": config.max_latency_ratio,
        "maxShadowMismatchPercent": config.max_shadow_mismatch_percent,
    }
    return health.figures(config.max_caller_share_percent) | {"thresholds": thresholds}


class RolloutStore:
    def __init__(self, flags: FlagStore) -> None:
        self._flags = flags
        self._engine = flags.engine

    @property
    def flags(self) -> FlagStore:
        return self._flags

    async def current(self) -> dict[str, Rollout]:
        """The newest rollout of every flag that has had one."""
        newest = (
            select(func.max(rollouts_table.c.id))
            .group_by(rollouts_table.c.flag_name)
            .scalar_subquery()
        )
        statement = select(rollouts_table).where(rollouts_table.c.id.in_(newest))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement)).mappings().all()
        found = {row["flag_name"]: _rollout(row) for row in rows}
        return {name: found[name] for name in FLAG_NAMES if name in found}

    async def running(self) -> list[Rollout]:
        return [r for r in (await self.current()).values() if r.state is RolloutState.RUNNING]

    async def newest(
        self, conn: AsyncConnection, name: str, *, lock: bool = False
    ) -> Rollout | None:
        """The flag's latest rollout in any state; `lock` holds its row to the commit."""
        statement = (
            select(rollouts_table)
            .where(rollouts_table.c.flag_name == name)
            .order_by(rollouts_table.c.id.desc())
            .limit(1)
        )
        if lock:
            statement = statement.with_for_update()
        row = (await conn.execute(statement)).mappings().first()
        return _rollout(row) if row is not None else None

    async def add(self, conn: AsyncConnection, rollout: Rollout) -> Rollout:
        """Store a new rollout; it comes back with its id."""
        values = {
            "flag_name": rollout.flag,
            "state": rollout.state.value,
            "current_percentage": rollout.current_percentage,
            "config": rollout.config.to_json(),
            "started_at": rollout.started_at,
            "updated_at": rollout.updated_at,
            "next_step_at": rollout.next_step_at,
            "last_decision": rollout.last_decision,
            "started_by": rollout.started_by,
            "version": rollout.version,
            "inconclusive_since": rollout.inconclusive_since,
        }
        result = await conn.execute(
            insert(rollouts_table).values(**values).returning(rollouts_table.c.id)
        )
        return _rollout({"id": result.scalar_one(), **values})

    async def save(self, conn: AsyncConnection, before: Rollout, done: Rollout) -> None:
        """`done` in place of `before`, if nobody changed `before` meanwhile."""
        result = await conn.execute(
            update(rollouts_table)
            .where(rollouts_table.c.id == before.id, rollouts_table.c.version == before.version)
            .values(
                state=RolloutState(done.state).value,
                current_percentage=done.current_percentage,
                next_step_at=done.next_step_at,
                last_decision=done.last_decision,
                updated_at=done.updated_at,
                inconclusive_since=done.inconclusive_since,
                version=before.version + 1,
            )
        )
        if result.rowcount != 1:
            raise VersionConflict(f"the rollout of {before.flag} changed meanwhile")

    async def stop_by_hand(
        self, conn: AsyncConnection, name: str, *, actor: str, now: datetime
    ) -> None:
        """A hand on the flag's stage or percentage ends its rollout (SPEC §6)."""
        await conn.execute(
            update(rollouts_table)
            .where(
                rollouts_table.c.flag_name == name,
                rollouts_table.c.state.in_([state.value for state in ACTIVE]),
            )
            .values(
                state=RolloutState.STOPPED.value,
                next_step_at=None,
                last_decision=f"stopped: the flag was changed by hand ({actor})",
                updated_at=now,
                version=rollouts_table.c.version + 1,
            )
        )

    async def apply(
        self,
        rollout: Rollout,
        flag: FlagState,
        verdict: Verdict,
        health: Health,
        now: datetime,
    ) -> Rollout:
        """Carry out the controller's verdict: the rollout and its flag change together."""
        done = after(rollout, verdict, now)
        if verdict.action in (Action.HOLD, Action.STOP, Action.PAUSE):
            async with self._flags.transaction() as conn:
                await self.save(conn, rollout, done)
                if verdict.action is Action.PAUSE:  # a state change: in the audit log
                    await self._flags.note(
                        conn, flag, actor=CONTROLLER, action="ROLLOUT_PAUSED",
                        reason=verdict.reason,
                        details=_compared(rollout, health),
                    )  # fmt: skip
            return done
        async with self._flags.change() as conn:
            await self.save(conn, rollout, done)
            current = await self._flags.locked(conn, flag.name)
            if current.version != flag.version:
                raise VersionConflict(f"{flag.name} changed meanwhile")
            figures = _compared(rollout, health)
            if verdict.action is Action.ROLL_BACK:
                await self._flags.write(
                    conn, current, actor=CONTROLLER, action="ROLLOUT_ROLLBACK",
                    stage=Stage.DISABLED, percentage=0.0, reason=verdict.reason, details=figures,
                )  # fmt: skip
            elif verdict.action is Action.COMPLETE:
                await self._flags.write(
                    conn, current, actor=CONTROLLER, action="ROLLOUT_COMPLETE",
                    stage=Stage.FULL, percentage=100.0, reason=verdict.reason, details=figures,
                )  # fmt: skip
            else:  # a step, or a step to a gate (then PAUSED)
                await self._flags.write(
                    conn, current, actor=CONTROLLER,
                    action="ROLLOUT_GATE" if verdict.action is Action.GATE else "ROLLOUT_STEP",
                    percentage=done.current_percentage, reason=verdict.reason, details=figures,
                )  # fmt: skip
        return done
