"""Replay before exposure (issue 15, part 5): the registry's recorded queries run through
v3 and v4 on the live database, before any user is sent to v4.

Each query of the registry (the most run first) is run with each of its recorded
variables (or none) as a caller of the recorded role (the first user of that role;
anonymous when none was recorded), first on v3: one that does not reach the flag's domain
is not this flag's. It runs on v3 a second time (what differs then is noise, not v4's),
then with the domain on v4, both uncached, and the results are compared as the shadow
compares them (gateway/verification/typed_comparison.py). Read-only: mutations are never
replayed, and the versions of every run are pinned.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import strawberry
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.types.graphql import OperationType as StrawberryOperation

from jewgo.db.models import UserRow
from jewgo.db.session import RequestDatabase
from jewgo.flags.decide import Subject, stickiness_key
from jewgo.flags.decisions import RequestDecisions
from jewgo.flags.snapshot import Snapshot
from jewgo.flags.stages import DOMAIN_FLAGS, Variant
from jewgo.gateway.operations.registry import OperationRegistry, RegisteredOperation
from jewgo.gateway.operations.samples import Sample
from jewgo.gateway.request.context import ContextFactory
from jewgo.gateway.verification.comparison import describe
from jewgo.gateway.verification.typed_comparison import (
    Difference,
    TypedComparison,
    shown,
    without_ignored,
)
from jewgo.resolvers.domain import Domain, Role, Viewer
from jewgo.schema.internals import graphql_schema

users = cast(Table, UserRow.__table__)
QUERY = StrawberryOperation.QUERY


@dataclass(frozen=True, slots=True)
class FieldDifference:
    field: str
    path: str
    v3: Any
    v4: Any


@dataclass(slots=True)
class OperationReplay:
    hash: str
    name: str | None
    role: str | None
    outcome: str  # matched | differing | failed | skipped (reached no flag's domain)
    v3_ms: float | None = None  # None: not run (a skipped run has no time to show)
    v4_ms: float | None = None
    differences: list[FieldDifference] = field(default_factory=list)
    noise: list[str] = field(default_factory=list)  # fields v3 itself gave twice apart
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ReplayReport:
    flag: str
    operations: list[OperationReplay]

    def count(self, outcome: str) -> int:
        return sum(1 for op in self.operations if op.outcome == outcome)

    @property
    def passed(self) -> bool:
        """Every run that reached the domain matched, and at least one did: a replay of
        nothing proves nothing."""
        clean = self.count("differing") == 0 and self.count("failed") == 0
        return clean and self.count("matched") > 0


class Replayer:
    def __init__(
        self,
        schema: strawberry.Schema,
        contexts: ContextFactory,
        registry: OperationRegistry,
        engine: AsyncEngine,
    ) -> None:
        self._schema = schema
        self._contexts = contexts
        self._registry = registry
        self._engine = engine

    async def replay(self, flag: str, snapshot: Snapshot, operations: int) -> ReplayReport:
        domain = next((d for d, f in DOMAIN_FLAGS.items() if f == flag), None)
        if domain is None:
            raise ValueError(f"{flag} is not a domain's flag")
        recorded = await self._queries(operations)
        results: list[OperationReplay] = []
        for operation in recorded:
            samples: list[Sample | None] = [*await self._registry.samples.of(operation.hash)]
            runs = []
            for sample in samples or [None]:
                role = sample.role if sample is not None else None
                variables = sample.variables if sample is not None else {}
                runs.append(await self._one(operation, Domain(domain), snapshot, role, variables))
            self._cover(operation.hash, domain, runs)
            results += runs
        await self._registry.coverage.flush()
        return ReplayReport(flag=flag, operations=results)

    def _cover(self, digest: str, domain: str, runs: list[OperationReplay]) -> None:
        """What the runs of one operation showed of its coverage (gateway/operations/coverage.py):
        clean when every run that reached the domain matched."""
        reached = [run for run in runs if run.outcome != "skipped"]
        if reached:
            coverage = self._registry.coverage
            coverage.touched(digest, [domain])
            coverage.compared(digest, domain, clean=all(r.outcome == "matched" for r in reached))

    async def _queries(self, operations: int) -> list[RegisteredOperation]:
        return await self._registry.most_run(operations, kind="query")

    @staticmethod
    def _flag_of(domain: Domain) -> str:
        return DOMAIN_FLAGS[domain.value]

    async def _viewer(self, role: str | None) -> Viewer | None:
        if role is None:
            return None
        statement = select(users.c.id).where(users.c.role == role).order_by(users.c.id).limit(1)
        async with self._engine.connect() as conn:
            found = (await conn.execute(statement)).scalar()
        return Viewer(id=int(found), role=Role(role)) if found is not None else None

    async def _run(
        self,
        operation: RegisteredOperation,
        viewer: Viewer | None,
        snapshot: Snapshot,
        versions: dict[str, Variant],
        variables: dict[str, Any],
    ) -> tuple[Any, list[str], set[str], float]:
        """(data, error messages, domains reached, milliseconds) of one pinned run."""
        user = viewer.id if viewer is not None else None
        staff = viewer is not None and viewer.role in (Role.ADMIN, Role.MODERATOR)
        subject = Subject(user, staff, stickiness_key(user, "replay", None), snapshot.salt)
        decisions = RequestDecisions(snapshot, subject).pinned(versions, cache=False)
        db = RequestDatabase(self._contexts.engine)
        context = self._contexts.build(db, request_id="replay", viewer=viewer, decisions=decisions)
        started = time.perf_counter()
        try:  # a query, whatever the registry's row says: replay never writes
            result = await self._schema.execute(
                operation.document, variable_values=variables, context_value=context,
                operation_name=operation.name, allowed_operation_types={QUERY},
            )  # fmt: skip
        finally:
            await db.close()
        took = (time.perf_counter() - started) * 1000
        errors = sorted(
            str((e.extensions or {}).get("code", e.message)) for e in result.errors or []
        )
        return result.data, errors, {d.value for d in context.uses}, took

    async def _one(
        self,
        operation: RegisteredOperation,
        domain: Domain,
        snapshot: Snapshot,
        role: str | None,
        variables: dict[str, Any],
    ) -> OperationReplay:
        found = OperationReplay(operation.hash, operation.name, role, "matched")
        if not _only_queries(operation):
            found.outcome, found.error = "skipped", "not a query"
            return found
        viewer = await self._viewer(role)
        if role is not None and viewer is None:
            found.outcome, found.error = "skipped", f"no user has the role {role}"
            return found
        on_v3: dict[str, Variant] = {}
        first, errors, reached, found.v3_ms = await self._run(
            operation, viewer, snapshot, on_v3, variables
        )
        if domain.value not in reached:
            found.outcome = "skipped"
            found.error = f"it does not reach {self._flag_of(domain)}'s domain"
            return found
        second, _, _, _ = await self._run(operation, viewer, snapshot, on_v3, variables)
        on_v4: dict[str, Variant] = {domain.value: Variant.V4}
        data, v4_errors, _, found.v4_ms = await self._run(
            operation, viewer, snapshot, on_v4, variables
        )
        if v4_errors != errors:  # codes: v4 failed where v3 did not, or failed otherwise
            found.outcome = "failed"
            found.error = f"v3 {errors or 'no error'}, v4 {v4_errors or 'no error'}"[:300]
            return found
        comparison = TypedComparison(
            graphql_schema(self._schema), parse(operation.document), operation.name
        )
        noisy = {d.field for d in comparison.differences(first, second)}
        found.noise = sorted(f for f in noisy if f is not None)
        ignored = snapshot.ignores.get(self._flag_of(domain), {})
        real = [
            d
            for d in without_ignored(comparison.differences(first, data), ignored)
            if d.field not in noisy
        ]
        found.differences = [_shown(d, first, data) for d in real]
        if real:
            found.outcome = "differing"
        return found


def _only_queries(operation: RegisteredOperation) -> bool:
    """Whether the operation the registry names is a query (a document may hold others)."""
    try:
        found = get_operation_ast(parse(operation.document), operation.name)
    except GraphQLError:
        return False
    return found is not None and found.operation is OperationType.QUERY


def _shown(difference: Difference, v3: Any, v4: Any) -> FieldDifference:
    def at(data: Any) -> Any:
        for part in difference.path:
            try:
                data = data[part]
            except (KeyError, IndexError, TypeError):
                return "(absent)"
        return shown(data, difference.field)

    return FieldDifference(
        field=difference.field or "unknown",
        path=describe(difference.path),
        v3=at(v3),
        v4=at(v4),
    )


def _timings(op: OperationReplay) -> str:
    """What each version took; a version that did not run says so, never a made-up time."""
    if op.v3_ms is None:
        return "not run"
    v4 = "not run" if op.v4_ms is None else f"{op.v4_ms:.1f} ms"
    return f"v3 {op.v3_ms:.1f} ms, v4 {v4}"


def summary(report: ReplayReport) -> Sequence[str]:
    """The report as lines of text, one per operation and one per difference."""
    lines = [
        f"replay of {report.flag}: {len(report.operations)} runs, "
        f"{report.count('matched')} matched, {report.count('differing')} differing, "
        f"{report.count('failed')} failed, {report.count('skipped')} not reaching the domain"
    ]
    for op in report.operations:
        name = op.name or op.hash[:12]
        lines.append(
            f"  {op.outcome:<9} {name} (as {op.role or 'anonymous'}) {_timings(op)}"
            + (f"; noise in {', '.join(op.noise)}" if op.noise else "")
            + (f"; {op.error}" if op.error else "")
        )
        for d in op.differences:
            lines.append(f"      {d.field} at {d.path}: v3 {d.v3!r} != v4 {d.v4!r}")
    return lines
