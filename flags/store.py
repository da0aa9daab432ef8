"""The flag store: flags, user overrides and the append-only audit log in the database.

Every change is one transaction: lock the fleet's revision row first (one lock order for
every change, so a rollback of every flag cannot deadlock with a change of one), read
the flag, check it, update it only if its version is still the one read (no lost
update), append the audit event and bump the revision that pollers watch. A rejected
change writes nothing.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from jewgo.db.models import (
    FeatureFlagRow,
    FlagEventRow,
    FlagStateRow,
    FlagUserOverrideRow,
    RolloutRow,
    UserRow,
)
from jewgo.flags.env import EnvOverride
from jewgo.flags.errors import InvalidChange, UnknownFlag, VersionConflict
from jewgo.flags.snapshot import FlagState, Snapshot
from jewgo.flags.stages import FLAG_NAMES, Stage

flags_table = cast(Table, FeatureFlagRow.__table__)
overrides_table = cast(Table, FlagUserOverrideRow.__table__)
events_table = cast(Table, FlagEventRow.__table__)
state_table = cast(Table, FlagStateRow.__table__)
rollouts_table = cast(Table, RolloutRow.__table__)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class FlagEvent:
    at: datetime
    actor: str
    action: str
    from_stage: Stage | None
    to_stage: Stage | None
    from_percentage: float | None
    to_percentage: float | None
    reason: str | None
    details: Mapping[str, Any] | None


def _state(row: Mapping[Any, Any]) -> FlagState:
    return FlagState(
        name=row["name"],
        description=row["description"],
        stage=Stage(row["stage"]),
        percentage=float(row["rollout_percentage"]),
        version=int(row["version"]),
        updated_at=_utc(row["updated_at"]),
        updated_by=row["updated_by"],
    )


class FlagStore:
    def __init__(self, engine: AsyncEngine, env: Mapping[str, EnvOverride] | None = None) -> None:
        self._engine = engine
        self._env = dict(env or {})

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    async def snapshot(self) -> Snapshot:
        async with self._engine.connect() as conn:
            flags = {
                row["name"]: _state(row)
                for row in (await conn.execute(select(flags_table))).mappings()
            }
            overrides: dict[str, dict[int, bool]] = {}
            for row in (await conn.execute(select(overrides_table))).mappings():
                overrides.setdefault(row["flag_name"], {})[row["user_id"]] = bool(row["enabled"])
            state = (await conn.execute(select(state_table))).mappings().one()
        return Snapshot(
            flags=flags,
            overrides=overrides,
            env=self._env,
            salt=state["salt"],
            revision=int(state["revision"]),
            loaded_at=time.monotonic(),
        )

    async def revision(self) -> int:
        async with self._engine.connect() as conn:
            return int((await conn.execute(select(state_table.c.revision))).scalar_one())

    @asynccontextmanager
    async def change(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that bumps the revision first: on PostgreSQL that locks the row,
        on SQLite it takes the write lock, so changes run one after another everywhere.
        A failed change rolls the bump back with everything else."""
        async with self._engine.begin() as conn:
            await conn.execute(update(state_table).values(revision=state_table.c.revision + 1))
            yield conn

    async def locked(self, conn: AsyncConnection, name: str) -> FlagState:
        if name not in FLAG_NAMES:
            raise UnknownFlag(f"No flag named {name!r}")
        statement = select(flags_table).where(flags_table.c.name == name).with_for_update()
        row = (await conn.execute(statement)).mappings().first()
        if row is None:
            raise UnknownFlag(f"No flag named {name!r}")
        return _state(row)

    async def write(
        self,
        conn: AsyncConnection,
        before: FlagState,
        *,
        actor: str,
        action: str,
        stage: Stage | None = None,
        percentage: float | None = None,
        reason: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> FlagState:
        now = datetime.now(UTC)
        to_stage = stage if stage is not None else before.stage
        to_percentage = percentage if percentage is not None else before.percentage
        result = await conn.execute(
            update(flags_table)
            .where(flags_table.c.name == before.name, flags_table.c.version == before.version)
            .values(
                stage=to_stage.value,
                rollout_percentage=to_percentage,
                version=before.version + 1,
                updated_at=now,
                updated_by=actor,
            )
        )
        if result.rowcount != 1:
            raise VersionConflict(f"{before.name} changed meanwhile; read it again")
        await conn.execute(
            insert(events_table).values(
                flag_name=before.name,
                at=now,
                actor=actor,
                action=action,
                from_stage=before.stage.value,
                to_stage=to_stage.value,
                from_percentage=before.percentage,
                to_percentage=to_percentage,
                reason=reason,
                details=json.dumps(details) if details is not None else None,
            )
        )
        return FlagState(
            name=before.name,
            description=before.description,
            stage=to_stage,
            percentage=to_percentage,
            version=before.version + 1,
            updated_at=now,
            updated_by=actor,
        )

    async def note(
        self,
        conn: AsyncConnection,
        flag: FlagState,
        *,
        actor: str,
        action: str,
        reason: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """An audit event that leaves the flag as it is (a rollout paused, say)."""
        await conn.execute(
            insert(events_table).values(
                flag_name=flag.name,
                at=datetime.now(UTC),
                actor=actor,
                action=action,
                from_stage=flag.stage.value,
                to_stage=flag.stage.value,
                from_percentage=flag.percentage,
                to_percentage=flag.percentage,
                reason=reason,
                details=json.dumps(details) if details is not None else None,
            )
        )

    async def _stop_rollout(self, conn: AsyncConnection, name: str, actor: str) -> None:
        """A hand on the flag's stage or percentage ends its rollout (SPEC §6)."""
        await conn.execute(
            update(rollouts_table)
            .where(
                rollouts_table.c.flag_name == name,
                rollouts_table.c.state.in_(("RUNNING", "PAUSED")),
            )
            .values(
                state="STOPPED",
                next_step_at=None,
                last_decision=f"stopped: the flag was changed by hand ({actor})",
                updated_at=datetime.now(UTC),
                version=rollouts_table.c.version + 1,
            )
        )

    @staticmethod
    def _expect(state: FlagState, expected_version: int | None) -> None:
        if expected_version is not None and expected_version != state.version:
            raise VersionConflict(
                f"{state.name} is at version {state.version}, not {expected_version}"
            )

    async def set_stage(
        self,
        name: str,
        stage: Stage,
        *,
        actor: str,
        reason: str | None = None,
        force: bool = False,
        expected_version: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> FlagState:
        async with self.change() as conn:
            before = await self.locked(conn, name)
            self._expect(before, expected_version)
            if before.stage is Stage.COMPLETE and stage is not Stage.COMPLETE and not force:
                raise InvalidChange(f"{name} is COMPLETE; leaving COMPLETE needs force: true")
            await self._stop_rollout(conn, name, actor)
            return await self.write(
                conn,
                before,
                actor=actor,
                action="SET_STAGE",
                stage=stage,
                reason=reason,
                details=details,
            )

    async def set_percentage(
        self,
        name: str,
        percentage: float,
        *,
        actor: str,
        reason: str | None = None,
        expected_version: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> FlagState:
        if not (math.isfinite(percentage) and 0 <= percentage <= 100):
            raise InvalidChange("percentage must be from 0 to 100")
        async with self.change() as conn:
            before = await self.locked(conn, name)
            self._expect(before, expected_version)
            await self._stop_rollout(conn, name, actor)
            return await self.write(
                conn,
                before,
                actor=actor,
                action="SET_PERCENTAGE",
                percentage=percentage,
                reason=reason,
                details=details,
            )

    async def set_user_override(
        self, name: str, user_id: int, enabled: bool | None, *, actor: str
    ) -> FlagState:
        """`enabled` None removes the override."""
        async with self.change() as conn:
            before = await self.locked(conn, name)
            exists = await conn.execute(select(UserRow.id).where(UserRow.id == user_id))
            if exists.first() is None:
                raise InvalidChange(f"No user with id {user_id}")
            key = (overrides_table.c.flag_name == name) & (overrides_table.c.user_id == user_id)
            await conn.execute(overrides_table.delete().where(key))
            if enabled is not None:
                await conn.execute(
                    insert(overrides_table).values(
                        flag_name=name,
                        user_id=user_id,
                        enabled=enabled,
                        created_at=datetime.now(UTC),
                        created_by=actor,
                    )
                )
            words = "cleared" if enabled is None else ("V4" if enabled else "V3")
            return await self.write(
                conn,
                before,
                actor=actor,
                action="SET_OVERRIDE" if enabled is not None else "CLEAR_OVERRIDE",
                reason=f"user {user_id}: {words}",
                details={"userId": user_id, "enabled": enabled},
            )

    async def rollback(
        self,
        name: str | None,
        *,
        actor: str,
        reason: str,
        details: Mapping[str, Any] | None = None,
    ) -> list[FlagState]:
        """Every named (or every) flag back to DISABLED at 0 %, COMPLETE ones excepted."""
        names = list(FLAG_NAMES) if name is None else [name]
        changed = []
        async with self.change() as conn:
            for flag in names:
                before = await self.locked(conn, flag)
                if before.stage is Stage.COMPLETE:
                    continue
                await self._stop_rollout(conn, flag, actor)
                changed.append(
                    await self.write(
                        conn,
                        before,
                        actor=actor,
                        action="ROLLBACK",
                        stage=Stage.DISABLED,
                        percentage=0.0,
                        reason=reason,
                        details=details,
                    )
                )
        return changed

    async def history(self, name: str, first: int) -> list[FlagEvent]:
        statement = (
            select(events_table)
            .where(events_table.c.flag_name == name)
            .order_by(events_table.c.id.desc())
            .limit(first)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement)).mappings().all()
        return [
            FlagEvent(
                at=_utc(row["at"]),
                actor=row["actor"],
                action=row["action"],
                from_stage=Stage(row["from_stage"]) if row["from_stage"] else None,
                to_stage=Stage(row["to_stage"]) if row["to_stage"] else None,
                from_percentage=row["from_percentage"],
                to_percentage=row["to_percentage"],
                reason=row["reason"],
                details=json.loads(row["details"]) if row["details"] else None,
            )
            for row in rows
        ]

    async def user_role(self, user_id: int) -> str | None:
        async with self._engine.connect() as conn:
            result = await conn.execute(select(UserRow.role).where(UserRow.id == user_id))
            role: str | None = result.scalar_one_or_none()
        return role
