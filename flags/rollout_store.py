"""Rollouts in the database, and the changes a rollout makes to its flag.

A step of the controller (advance, complete, roll back) changes the rollout and the flag
in one transaction, each under its version check: if a human paused the rollout or
touched the flag meanwhile, the step changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from jewgo.flags.errors import InvalidChange, UnknownFlag, VersionConflict
from jewgo.flags.rollouts import (
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
from jewgo.flags.store import FlagStore, rollouts_table

CONTROLLER = "rollout-controller"


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _rollout(row: Mapping[Any, Any]) -> Rollout:
    started, updated = _utc(row["started_at"]), _utc(row["updated_at"])
    assert started is not None and updated is not None
    return Rollout(
        id=row["id"],
        flag=row["flag_name"],
        state=RolloutState(row["state"]),
        current_percentage=float(row["current_percentage"]),
        config=RolloutConfig.from_json(row["config"]),
        started_at=started,
        updated_at=updated,
        next_step_at=_utc(row["next_step_at"]),
        last_decision=row["last_decision"],
        started_by=row["started_by"],
        version=int(row["version"]),
    )


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

    async def _active(self, conn: AsyncConnection, name: str) -> Rollout | None:
        statement = (
            select(rollouts_table)
            .where(rollouts_table.c.flag_name == name)
            .order_by(rollouts_table.c.id.desc())
            .limit(1)
        )
        row = (await conn.execute(statement)).mappings().first()
        rollout = _rollout(row) if row is not None else None
        return rollout if rollout is not None and rollout.state in ACTIVE else None

    async def start(
        self, name: str, config: RolloutConfig, *, actor: str, now: datetime
    ) -> Rollout:
        """The flag to PARTIAL at the initial percentage, and a RUNNING rollout of it."""
        if name not in FLAG_NAMES:
            raise UnknownFlag(f"No flag named {name!r}")
        problems = config.problems()
        if problems:
            raise InvalidChange(
                "Invalid rollout config: " + "; ".join(f"{k}: {v}" for k, v in problems.items())
            )
        async with self._flags.change() as conn:
            flag = await self._flags.locked(conn, name)
            if flag.stage is Stage.COMPLETE:
                raise InvalidChange(f"{name} is COMPLETE; a rollout cannot move it")
            if await self._active(conn, name) is not None:
                raise VersionConflict(f"{name} already has a rollout RUNNING or PAUSED")
            reason = f"rollout started at {config.initial_percentage:g}%"
            await self._flags.write(
                conn, flag, actor=actor, action="START_ROLLOUT", stage=Stage.PARTIAL,
                percentage=config.initial_percentage, reason=reason,
                details={"config": config.to_json()},
            )  # fmt: skip
            values = {
                "flag_name": name,
                "state": RolloutState.RUNNING.value,
                "current_percentage": config.initial_percentage,
                "config": config.to_json(),
                "started_at": now,
                "updated_at": now,
                "next_step_at": now + timedelta(seconds=config.increment_interval_seconds),
                "last_decision": reason,
                "started_by": actor,
                "version": 1,
            }
            result = await conn.execute(
                insert(rollouts_table).values(**values).returning(rollouts_table.c.id)
            )
            return _rollout({"id": result.scalar_one(), **values})

    async def transition(
        self,
        name: str,
        allowed: tuple[RolloutState, ...],
        to: RolloutState,
        *,
        actor: str,
        now: datetime,
    ) -> Rollout:
        """Pause, resume or stop by hand; BAD_USER_INPUT from any other state."""
        if name not in FLAG_NAMES:
            raise UnknownFlag(f"No flag named {name!r}")
        async with self._engine.begin() as conn:
            statement = (
                select(rollouts_table)
                .where(rollouts_table.c.flag_name == name)
                .order_by(rollouts_table.c.id.desc())
                .limit(1)
                .with_for_update()
            )
            row = (await conn.execute(statement)).mappings().first()
            if row is None:
                raise UnknownFlag(f"{name} has no rollout")
            rollout = _rollout(row)
            if rollout.state not in allowed:
                raise InvalidChange(f"the rollout of {name} is {rollout.state.value}")
            next_step = rollout.next_step_at
            if to is RolloutState.RUNNING:
                next_step = now + timedelta(seconds=rollout.config.increment_interval_seconds)
            elif to is not RolloutState.PAUSED:
                next_step = None
            decision = f"{to.value.lower()} by {actor}"
            await self._save(
                conn,
                rollout,
                state=to,
                next_step_at=next_step,
                last_decision=decision,
                updated_at=now,
            )
            flag = await self._flags.locked(conn, name)
            await self._flags.note(
                conn, flag, actor=actor, action=f"ROLLOUT_{to.value}", reason=decision
            )
            return _rollout({**row, "state": to.value, "next_step_at": next_step,
                             "last_decision": decision, "updated_at": now,
                             "version": rollout.version + 1})  # fmt: skip

    async def _save(self, conn: AsyncConnection, rollout: Rollout, **values: Any) -> None:
        if "state" in values:
            values["state"] = RolloutState(values["state"]).value
        result = await conn.execute(
            update(rollouts_table)
            .where(rollouts_table.c.id == rollout.id, rollouts_table.c.version == rollout.version)
            .values(**values, version=rollout.version + 1)
        )
        if result.rowcount != 1:
            raise VersionConflict(f"the rollout of {rollout.flag} changed meanwhile")

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
        values = {
            "state": done.state,
            "current_percentage": done.current_percentage,
            "next_step_at": done.next_step_at,
            "last_decision": done.last_decision,
            "updated_at": now,
        }
        if verdict.action in (Action.HOLD, Action.STOP):
            async with self._engine.begin() as conn:
                await self._save(conn, rollout, **values)
            return done
        async with self._flags.change() as conn:
            await self._save(conn, rollout, **values)
            current = await self._flags.locked(conn, flag.name)
            if current.version != flag.version:
                raise VersionConflict(f"{flag.name} changed meanwhile")
            figures = health.figures()
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
            else:
                await self._flags.write(
                    conn, current, actor=CONTROLLER, action="ROLLOUT_STEP",
                    percentage=done.current_percentage, reason=verdict.reason, details=figures,
                )  # fmt: skip
        return done
