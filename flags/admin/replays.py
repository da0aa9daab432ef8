"""The record of each flag's replays (`jewgo replay`), which a rollout with
`requireReplay` reads before it starts (flags.rules.check_replay)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from jewgo.db.models import ReplayRow
from jewgo.db.timestamps import utc

replays_table = cast(Table, ReplayRow.__table__)


async def record(
    engine: AsyncEngine, flag: str, *, at: datetime, runs: int, differing: int, failed: int,
    actor: str,
) -> None:  # fmt: skip
    async with engine.begin() as conn:
        await conn.execute(
            insert(replays_table).values(
                flag_name=flag, at=at, passed=differing == 0 and failed == 0, runs=runs,
                differing=differing, failed=failed, actor=actor,
            )
        )  # fmt: skip


async def latest(conn: AsyncConnection, flag: str) -> tuple[datetime, bool] | None:
    """When the flag was last replayed, and whether that replay passed."""
    statement = (
        select(replays_table.c.at, replays_table.c.passed)
        .where(replays_table.c.flag_name == flag)
        .order_by(replays_table.c.id.desc())
        .limit(1)
    )
    row = (await conn.execute(statement)).first()
    if row is None:
        return None
    at = utc(row.at)
    assert at is not None
    return at, bool(row.passed)
