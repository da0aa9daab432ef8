"""Variables the registry's operations ran with, a few per operation, so that `jewgo
replay` can run them again (issue 15, part 5).

Recorded with the caller's role, never a token or who the caller was, and only when small
(MAX_VARIABLES_BYTES of JSON): an operation keeps at most PER_OPERATION samples, the
first ones seen. Like the registry's counts, a sample costs the request nothing: it goes
into a buffer that the registry's flush adds to the database.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.models import OperationRow, OperationSampleRow

samples_table = cast(Table, OperationSampleRow.__table__)
operations_table = cast(Table, OperationRow.__table__)
PER_OPERATION = 3
MAX_VARIABLES_BYTES = 2048
MAX_PENDING = 1000  # samples buffered between flushes (and digests a flush asks about)


@dataclass(frozen=True, slots=True)
class Sample:
    role: str | None
    variables: dict[str, Any]


class VariableSamples:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._pending: list[tuple[str, str | None, str, datetime]] = []
        self._full: set[str] = set()  # operations known to have their samples
        self._offered: dict[str, int] = {}

    def offer(self, digest: str, variables: Mapping[str, Any] | None, role: str | None) -> None:
        """Maybe keep these variables of a run of `digest` (cheap when not kept)."""
        if digest in self._full or len(self._pending) >= MAX_PENDING:
            return
        if self._offered.get(digest, 0) >= PER_OPERATION:
            return
        try:
            text = json.dumps(dict(variables or {}), sort_keys=True, separators=(",", ":"))
        except (TypeError, ValueError):
            return
        if len(text.encode()) > MAX_VARIABLES_BYTES:
            return
        self._offered[digest] = self._offered.get(digest, 0) + 1
        self._pending.append((digest, role, text, datetime.now(UTC)))

    async def flush(self) -> None:
        """Add the buffered samples, each operation up to PER_OPERATION in all."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        self._offered.clear()
        digests = sorted({digest for digest, *_ in pending})
        count = func.count().label("n")
        query = (
            select(samples_table.c.hash, count)
            .where(samples_table.c.hash.in_(digests))
            .group_by(samples_table.c.hash)
        )
        known = select(operations_table.c.hash).where(operations_table.c.hash.in_(digests))
        async with self._engine.begin() as conn:
            # Only operations the registry holds: its bounds bound the samples too.
            held = set((await conn.execute(known)).scalars())
            pending = [entry for entry in pending if entry[0] in held]
            stored = {row.hash: int(row.n) for row in await conn.execute(query)}
            rows = []
            for digest, role, text, at in pending:
                if stored.get(digest, 0) < PER_OPERATION:
                    stored[digest] = stored.get(digest, 0) + 1
                    rows.append({"hash": digest, "role": role, "variables": text,
                                 "recorded_at": at})  # fmt: skip
            if rows:
                await conn.execute(insert(samples_table), rows)
        self._full |= {digest for digest, n in stored.items() if n >= PER_OPERATION}

    async def of(self, digest: str) -> list[Sample]:
        statement = (
            select(samples_table).where(samples_table.c.hash == digest).order_by(samples_table.c.id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement)).mappings().all()
        return [Sample(role=row["role"], variables=json.loads(row["variables"])) for row in rows]
