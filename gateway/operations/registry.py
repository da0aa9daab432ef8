"""The operation registry: every document the gateway has run (or was given by an import),
durable in the database, by the SHA-256 of its text.

Counting a run must cost the request nothing: `seen()` only adds to a buffer in memory,
and a background task adds the buffer to the database every REGISTRY_FLUSH_SECONDS, one
upsert per document. A document imported from a manifest is known at once (the
safelist needs it), with a count of 0 until it runs.

It holds the API's traffic only: the operator console's own operations (its GraphQL view,
/console/graphql) run `unrecorded()`, so that neither the registry nor a replay of it
takes the console's queries for the callers'.

Nothing a caller sends may grow it without bound: documents longer than
REGISTRY_MAX_DOCUMENT_CHARACTERS are not recorded, the buffer holds at most
PENDING_BYTES of documents between flushes, and the table takes new documents only
while it has fewer than REGISTRY_MAX_OPERATIONS (those known still count their runs).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import structlog
from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.models import OperationRow
from jewgo.db.timestamps import utc
from jewgo.flags import tasks
from jewgo.gateway.operations.coverage import Coverage, DomainCoverage
from jewgo.gateway.operations.samples import VariableSamples

log = structlog.get_logger("jewgo.registry")
PENDING_BYTES = 4 * 1024 * 1024
operations = cast(Table, OperationRow.__table__)
TYPES = ("query", "mutation", "subscription")


# Whether the operations run in this context count: a context variable, so that the
# tasks of a batch (which copy the context they start in) follow their request.
_RECORDING: ContextVar[bool] = ContextVar("jewgo_registry_recording", default=True)


@contextmanager
def unrecorded() -> Iterator[None]:
    """The operations run inside are not recorded (the console's own)."""
    token = _RECORDING.set(False)
    try:
        yield
    finally:
        _RECORDING.reset(token)


def document_hash(document: str) -> str:
    """The persisted-query id of a document: SHA-256 of its UTF-8 text, in hex."""
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class RegisteredOperation:
    hash: str
    name: str | None
    type: str
    document: str
    first_seen: datetime
    last_seen: datetime
    count: int


@dataclass(slots=True)
class _Seen:
    name: str | None
    type: str
    document: str
    first: datetime
    last: datetime
    count: int = 0


def _operation(row: Any) -> RegisteredOperation:
    first, last = utc(row["first_seen"]), utc(row["last_seen"])
    assert first is not None and last is not None
    return RegisteredOperation(
        hash=row["hash"],
        name=row["name"],
        type=row["type"],
        document=row["document"],
        first_seen=first,
        last_seen=last,
        count=int(row["count"]),
    )


class OperationRegistry:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        flush_seconds: float = 5.0,
        max_document_characters: int = 16_384,
        max_operations: int = 10_000,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._flush_seconds = flush_seconds
        self._max_characters = max_document_characters
        self._max_operations = max_operations
        self._clock = clock
        self._pending: dict[str, _Seen] = {}
        self._pending_bytes = 0
        self._flusher = tasks.Periodic(self.flush, self._flush_seconds, "registry-flush")
        self.samples = VariableSamples(engine)
        self.coverage = Coverage(engine)

    def seen(self, document: str, name: str | None, kind: str, *, times: int = 1) -> str | None:
        """Count a run of `document` (buffered); its hash, or None when not recorded (too
        long, the buffer full until the next flush, or run `unrecorded()`)."""
        if len(document) > self._max_characters or not _RECORDING.get():
            return None
        digest = document_hash(document)
        now = self._clock()
        entry = self._pending.get(digest)
        if entry is None:
            if self._pending_bytes + len(document) > PENDING_BYTES:
                return None
            self._pending_bytes += len(document)
            entry = self._pending[digest] = _Seen(name, kind, document, now, now)
        entry.count += times
        entry.last = now
        return digest

    def _upsert(self, rows: Sequence[dict[str, Any]], *, counting: bool) -> Any:
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(operations).values(list(rows))
        if not counting:
            return statement.on_conflict_do_nothing(index_elements=["hash"])
        excluded = statement.excluded
        return statement.on_conflict_do_update(
            index_elements=["hash"],
            set_={
                "count": operations.c.count + excluded.count,
                "last_seen": excluded.last_seen,
            },
        )

    async def flush(self) -> None:
        """Add what was seen since the last flush to the database, then the samples and
        the coverage marks."""
        await self._flush_counts()
        for part in (self.samples, self.coverage):
            try:
                await part.flush()
            except Exception as exc:  # the next marks will come
                log.warning("operation registry flush failed", part=type(part).__name__,
                            error=type(exc).__name__)  # fmt: skip

    async def _flush_counts(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        self._pending_bytes = 0
        try:
            pending = await self._within_room(pending)
        except Exception as exc:  # the database is away: try again at the next flush
            self._pending, self._pending_bytes = (
                pending,
                sum(len(p.document) for p in pending.values()),
            )
            log.warning("operation registry flush failed", error=type(exc).__name__)
            return
        rows = [
            {
                "hash": digest,
                "name": seen.name,
                "type": seen.type,
                "document": seen.document,
                "first_seen": seen.first,
                "last_seen": seen.last,
                "count": seen.count,
            }
            for digest, seen in pending.items()
        ]
        try:
            async with self._engine.begin() as conn:
                for start in range(0, len(rows), 100):
                    await conn.execute(self._upsert(rows[start : start + 100], counting=True))
        except Exception as exc:  # keep the counts for the next try
            for digest, seen in pending.items():
                again = self._pending.setdefault(digest, seen)
                if again is not seen:
                    again.count += seen.count
                    again.first = min(again.first, seen.first)
            log.warning("operation registry flush failed", error=type(exc).__name__)

    async def _within_room(self, pending: dict[str, _Seen]) -> dict[str, _Seen]:
        """`pending` without the new documents the table has no room for."""
        known = {op.hash for op in await self.many(sorted(pending))}
        new = [digest for digest in pending if digest not in known]
        if not new:
            return pending
        async with self._engine.connect() as conn:
            stored = int(
                (await conn.execute(select(func.count()).select_from(operations))).scalar_one()
            )
        room = max(0, self._max_operations - stored)
        if room < len(new):
            log.warning("operation registry full; new documents not recorded",
                        stored=stored, refused=len(new) - room)  # fmt: skip
        for digest in new[room:]:
            del pending[digest]
        return pending

    async def add(self, entries: Sequence[tuple[str, str | None, str]]) -> int:
        """Register (document, name, type) entries now, as an import does; how many were
        new. Documents already known keep their counts."""
        now = self._clock()
        rows: list[dict[str, Any]] = [
            {
                "hash": document_hash(document),
                "name": name,
                "type": kind,
                "document": document,
                "first_seen": now,
                "last_seen": now,
                "count": 0,
            }
            for document, name, kind in entries
        ]
        if not rows:
            return 0
        digests = {str(row["hash"]) for row in rows}
        known = {op.hash for op in await self.many(sorted(digests))}
        async with self._engine.begin() as conn:
            await conn.execute(self._upsert(rows, counting=False))
        return len(digests - known)

    async def get(self, digest: str) -> RegisteredOperation | None:
        found = await self.many([digest])
        return found[0] if found else None

    async def many(self, digests: Sequence[str]) -> list[RegisteredOperation]:
        if not digests:
            return []
        statement = select(operations).where(operations.c.hash.in_(list(digests)))
        async with self._engine.connect() as conn:
            return [_operation(row) for row in (await conn.execute(statement)).mappings()]

    async def listing(
        self, first: int, after: str | None = None, kind: str | None = None
    ) -> list[RegisteredOperation]:
        """By hash, from after `after` (a hash), up to `first`."""
        statement = select(operations).order_by(operations.c.hash).limit(first)
        if after is not None:
            statement = statement.where(operations.c.hash > after)
        if kind is not None:
            statement = statement.where(operations.c.type == kind)
        async with self._engine.connect() as conn:
            return [_operation(row) for row in (await conn.execute(statement)).mappings()]

    async def most_run(self, first: int, kind: str | None = None) -> list[RegisteredOperation]:
        """The `first` most run operations (of `kind`), then by hash."""
        statement = (
            select(operations).order_by(operations.c.count.desc(), operations.c.hash).limit(first)
        )
        if kind is not None:
            statement = statement.where(operations.c.type == kind)
        async with self._engine.connect() as conn:
            return [_operation(row) for row in (await conn.execute(statement)).mappings()]

    async def start(self) -> None:
        self._flusher.start()

    async def stop(self) -> None:
        await self._flusher.stop()

    async def coverage_of(self, domain: str) -> DomainCoverage:
        """How many known operations reach `domain`, and how many v4 serves cleanly."""
        return await self.coverage.of(domain)
