"""Which known operations each domain's v4 has been shown to serve (issue 15, part 6).

Per registered operation and domain: whether the operation reaches the domain (seen in
traffic, or in a replay), when a comparison of v3 and v4 on it last matched (the shadow,
or a replay), and when one last differed beyond noise. An operation is clean for a domain
when its latest comparison matched. Marks are buffered in memory and added to the
database with the registry's flush, so they cost a request nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.models import OperationCoverageRow, OperationRow

coverage_table = cast(Table, OperationCoverageRow.__table__)
operations_table = cast(Table, OperationRow.__table__)
MAX_PENDING = 10_000
CHUNK = 1000  # rows a statement (4 bind parameters each)
SHOWN = 20  # operations not yet clean, named in a report


@dataclass(slots=True)
class _Mark:
    clean_at: datetime | None = None
    differed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DomainCoverage:
    domain: str
    known: int  # registered operations that reach the domain
    clean: int  # of which the latest comparison of v3 and v4 matched
    not_clean: list[str]  # the others (names, else hashes), at most SHOWN


class Coverage:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._pending: dict[tuple[str, str], _Mark] = {}

    def touched(self, digest: str, domains: Iterable[str]) -> None:
        for domain in domains:
            if len(self._pending) < MAX_PENDING:
                self._pending.setdefault((digest, domain), _Mark())

    def compared(self, digest: str, domain: str, *, clean: bool) -> None:
        if len(self._pending) >= MAX_PENDING and (digest, domain) not in self._pending:
            return
        mark = self._pending.setdefault((digest, domain), _Mark())
        now = datetime.now(UTC)
        if clean:
            mark.clean_at = now
        else:
            mark.differed_at = now

    async def flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        dialect: Any = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        async with self._engine.begin() as conn:
            # Only operations the registry holds: its bounds bound this table too.
            digests = sorted({digest for digest, _ in pending})
            known = set()
            for start in range(0, len(digests), CHUNK):
                chunk = digests[start : start + CHUNK]
                found = select(operations_table.c.hash).where(operations_table.c.hash.in_(chunk))
                known |= set((await conn.execute(found)).scalars())
            rows = [
                {"hash": d, "domain": domain, "clean_at": m.clean_at, "differed_at": m.differed_at}
                for (d, domain), m in pending.items()
                if d in known
            ]
            for start in range(0, len(rows), CHUNK):  # within any driver's bind parameters
                statement = dialect.insert(coverage_table).values(rows[start : start + CHUNK])
                excluded = statement.excluded
                await conn.execute(
                    statement.on_conflict_do_update(
                        index_elements=["hash", "domain"],
                        set_={
                            "clean_at": func.coalesce(excluded.clean_at, coverage_table.c.clean_at),
                            "differed_at": func.coalesce(
                                excluded.differed_at, coverage_table.c.differed_at
                            ),
                        },
                    )
                )

    async def of(self, domain: str) -> DomainCoverage:
        clean = and_(
            coverage_table.c.clean_at.is_not(None),
            or_(
                coverage_table.c.differed_at.is_(None),
                coverage_table.c.clean_at > coverage_table.c.differed_at,
            ),
        )
        joined = coverage_table.join(
            operations_table, operations_table.c.hash == coverage_table.c.hash
        )
        base = select(func.count()).select_from(joined).where(coverage_table.c.domain == domain)
        others = (
            select(operations_table.c.name, operations_table.c.hash)
            .select_from(joined)
            .where(coverage_table.c.domain == domain, ~clean)
            .order_by(operations_table.c.count.desc(), operations_table.c.hash)
            .limit(SHOWN)
        )
        async with self._engine.connect() as conn:
            known = int((await conn.execute(base)).scalar_one())
            clean_count = int((await conn.execute(base.where(clean))).scalar_one())
            rows = (await conn.execute(others)).all()
        names = [row.name or row.hash[:12] for row in rows]
        return DomainCoverage(domain, known, clean_count, names)
