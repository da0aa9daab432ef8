"""The flag store: flags, user overrides and the append-only audit log in the database.

It persists, refusing only what storage itself can tell (no such flag, a version changed
meanwhile); what may change is flags.rules. The admin (flags.admin.changes) runs each change as
one transaction of these parts: lock the fleet's revision row first (`change`: one lock
order for every change, so a rollback of every flag cannot deadlock with a change of
one), read the flag (`locked`), update it only if its version is still the one read
(`write`: no lost update) and append the audit event; the bumped revision is what
pollers watch. A rejected change writes nothing.
"""

from __future__ import annotations

import json
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
    ShadowIgnoreRow,
)
from jewgo.db.timestamps import utc
from jewgo.flags.env import EnvOverride
from jewgo.flags.errors import UnknownFlag, VersionConflict
from jewgo.flags.snapshot import FlagState, Snapshot
from jewgo.flags.stages import FLAG_NAMES, Stage

flags_table = cast(Table, FeatureFlagRow.__table__)
overrides_table = cast(Table, FlagUserOverrideRow.__table__)
events_table = cast(Table, FlagEventRow.__table__)
state_table = cast(Table, FlagStateRow.__table__)
ignores_table = cast(Table, ShadowIgnoreRow.__table__)


@dataclass(frozen=True, slots=True)
class FlagEvent:
    id: int
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
        updated_at=utc(row["updated_at"]),
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
            ignores: dict[str, dict[str, str]] = {}
            for row in (await conn.execute(select(ignores_table))).mappings():
                ignores.setdefault(row["flag_name"], {})[row["target"]] = row["reason"]
            state = (await conn.execute(select(state_table))).mappings().one()
        return Snapshot(
            flags=flags,
            overrides=overrides,
            ignores=ignores,
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

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that changes no flag (a rollout's state, an audit note): the
        revision stays, so no poller reloads for it."""
        async with self._engine.begin() as conn:
            yield conn

    async def locked(self, conn: AsyncConnection, name: str) -> FlagState:
        """The flag, its row held to the end of the transaction; NOT_FOUND without one."""
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

    async def put_override(
        self, conn: AsyncConnection, name: str, user_id: int, enabled: bool | None, *, actor: str
    ) -> None:
        """The user's override of the flag becomes `enabled`; None removes it."""
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

    async def put_ignore(
        self, conn: AsyncConnection, name: str, target: str, reason: str | None, *, actor: str
    ) -> None:
        """`target` is left out of the flag's shadow comparisons for `reason`; None takes
        it back in."""
        key = (ignores_table.c.flag_name == name) & (ignores_table.c.target == target)
        await conn.execute(ignores_table.delete().where(key))
        if reason is not None:
            await conn.execute(
                insert(ignores_table).values(
                    flag_name=name, target=target, reason=reason,
                    created_at=datetime.now(UTC), created_by=actor,
                )
            )  # fmt: skip

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
                id=int(row["id"]),
                at=utc(row["at"]),
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
