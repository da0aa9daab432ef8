"""Shadow comparison (SPEC §4): a sample of the reads that v3 served for a domain whose
flag is at TESTING or PARTIAL run again, off the request path, with that domain on v4.

- Never for mutations, never for a response with errors, never changing the response:
  the comparison starts after the response is built and runs in a task of its own.
- Bounded: at most SHADOW_CONCURRENCY comparisons at once; one that would exceed it is
  shed (counted, not queued), so load on the gateway sheds the shadow first.
- v4 runs without the cache, so the comparison is of the two implementations and no
  cache entry can make a false mismatch. When the results differ, v3 runs once more:
  if it now agrees with v4 the data changed in between (a write), not v4.
- A SHADOW_NOISE_RATE share of the comparisons also runs v3 a second time: what differs
  between two runs of v3 is each field's noise (flags/telemetry/noise.py), which a v4 mismatch of
  that field must exceed to count.
- Each comparison counts as a match, a mismatch (with the first differing path and the
  schema field it belongs to, e.g. `Restaurant.averageRating`) or a candidate error. The
  results are compared as the schema types them (gateway/verification/typed_comparison.py): floats
  within a tolerance, times as instants, unordered lists without order, no cursors.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import strawberry
import structlog
from graphql import parse

from jewgo.db.session import RequestDatabase
from jewgo.flags.stages import DOMAIN_FLAGS, Stage, Variant
from jewgo.flags.telemetry.noise import NOISE, NOISE_RUNS, UNNAMED
from jewgo.flags.telemetry.window import Cell, WindowMetrics
from jewgo.gateway.operations.coverage import Coverage
from jewgo.gateway.operations.registry import document_hash
from jewgo.gateway.request.context import ContextFactory
from jewgo.gateway.telemetry.metrics import SHADOW_MISMATCH_FIELDS, SHADOW_RESULTS
from jewgo.gateway.verification.comparison import describe
from jewgo.gateway.verification.published import Published
from jewgo.gateway.verification.typed_comparison import (
    Difference,
    TypedComparison,
    shown,
    without_ignored,
)
from jewgo.resolvers.domain import Domain, Version
from jewgo.schema.context import Context
from jewgo.schema.internals import graphql_schema

log = structlog.get_logger("jewgo.shadow")
RECENT_KEPT = 5
EXAMPLES_KEPT = 3  # the latest examples kept of each differing field
EXAMPLE_FIELDS = 5  # fields of one comparison that leave an example
DRAIN_SECONDS = 5.0


@dataclass(frozen=True)
class Job:
    flag: str
    domain: Domain
    query: str
    variables: Mapping[str, Any] | None
    operation_name: str | None
    primary: Context
    data: Any


class Shadow:
    def __init__(
        self,
        schema: strawberry.Schema,
        contexts: ContextFactory,
        metrics: WindowMetrics,
        *,
        sample_rate: float,
        concurrency: int,
        noise_rate: float = 0.0,
        coverage: Coverage | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._schema = schema
        self._contexts = contexts
        self._metrics = metrics
        self._rate = sample_rate
        self._concurrency = concurrency
        self._noise_rate = noise_rate
        self._coverage = coverage
        self._random = rng or random.Random()
        self._tasks: set[asyncio.Task[None]] = set()

    def answered(self, record: Published) -> None:
        """Accounting's subscriber: each executed operation, once recorded."""
        operation = record.operation
        self.consider(record.context, operation.query, operation.variables, operation.data)

    def consider(
        self,
        context: Context,
        query: str | None,
        variables: Mapping[str, Any] | None,
        data: Any,
    ) -> None:
        """After a response: maybe compare it with v4 (cheap when not sampled)."""
        if (
            self._rate <= 0
            or query is None
            or context.outcome.operation_type != "query"
            or context.outcome.error_codes
            or data is None
            or self._random.random() >= self._rate
        ):
            return
        eligible = [
            domain
            for domain, use in context.uses.items()
            if use.version is Version.V3
            and context.snapshot.flags[DOMAIN_FLAGS[domain.value]].stage
            in (Stage.TESTING, Stage.PARTIAL)
        ]
        if not eligible:
            return
        domain = self._random.choice(eligible)
        flag = DOMAIN_FLAGS[domain.value]
        if len(self._tasks) >= self._concurrency:
            SHADOW_RESULTS.labels(flag, "shed").inc()
            return
        job = Job(flag, domain, query, variables, context.outcome.operation_name, context, data)
        task = asyncio.create_task(self._compare(job), name="shadow")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, job: Job, versions: Mapping[str, str]) -> tuple[Any, bool]:
        """The operation again for the same caller with `versions`; (data, had errors)."""
        primary = job.primary
        db = RequestDatabase(self._contexts.engine)
        # Uncached: the comparison is of the two implementations, not of a cache entry.
        pinned = {domain: Variant(version) for domain, version in versions.items()}
        context = self._contexts.build(
            db,
            request_id=f"{primary.request_id}:shadow",
            viewer=primary.viewer,
            decisions=primary.decisions.pinned(pinned, cache=False),
        )
        try:
            result = await self._schema.execute(
                job.query,
                variable_values=dict(job.variables or {}),
                context_value=context,
                operation_name=job.operation_name,
            )
        finally:
            await db.close()
        return result.data, bool(result.errors)

    async def _compare(self, job: Job) -> None:
        primary_versions = dict(job.primary.versions)
        candidate_versions = {**primary_versions, job.domain.value: Version.V4.value}
        try:
            candidate, failed = await self._run(job, candidate_versions)
            if failed:
                self._record(job, "candidate_error")
                return
            comparison = TypedComparison(
                graphql_schema(self._schema), parse(job.query), job.operation_name
            )
            again = None
            if self._random.random() < self._noise_rate:
                again = await self._noise(job, comparison, primary_versions)
            found = comparison.differences(job.data, candidate)
            differences = without_ignored(found, job.primary.snapshot.ignores.get(job.flag, {}))
            if not differences:
                self._record(job, "match", ignored=len(found))
                return
            if again is None:
                again, _ = await self._run(job, primary_versions)
            ignores = job.primary.snapshot.ignores.get(job.flag, {})
            if not without_ignored(comparison.differences(again, candidate), ignores):
                self._record(job, "match")  # the data changed between the runs, not v4
                return
            self._record(job, "mismatch", differences, job.data, candidate)
        except Exception:  # the shadow must never hurt; it only reports
            log.exception("shadow comparison failed", flag=job.flag)
            self._record(job, "candidate_error")

    async def _noise(
        self, job: Job, comparison: TypedComparison, versions: Mapping[str, str]
    ) -> Any:
        """v3 against v3: what differs between two runs of the same version is each field's
        noise. Returns the second run's data (None when it failed)."""
        again, failed = await self._run(job, versions)
        if failed:
            return None
        extra = {NOISE_RUNS: 1}
        for difference in comparison.differences(job.data, again):
            if difference.field is not None:
                extra[NOISE + difference.field] = 1
        self._metrics.add((job.flag, "shadow"), Cell(extra=extra))
        return again

    def _record(
        self,
        job: Job,
        result: str,
        differences: Sequence[Difference] = (),
        expected: Any = None,
        actual: Any = None,
        *,
        ignored: int = 0,
    ) -> None:
        extra = {result: 1}
        if ignored:
            extra["ignored"] = 1  # a comparison whose only differences an admin ignores
        if any(d.field is None for d in differences):
            extra[UNNAMED] = 1
        for difference in differences:
            if difference.field is not None:
                extra[f"field:{difference.field}"] = 1
                SHADOW_MISMATCH_FIELDS.labels(job.flag, difference.field).inc()
        metrics = self._metrics
        metrics.add(
            (job.flag, "shadow"),
            Cell(calls=1, errors=int(result == "candidate_error"), extra=extra),
        )
        SHADOW_RESULTS.labels(job.flag, result).inc()
        if self._coverage is not None and result in ("match", "mismatch"):
            digest = document_hash(job.query)
            self._coverage.compared(digest, job.domain.value, clean=result == "match")
        if differences:
            first = differences[0]
            at = datetime.now(UTC).isoformat(timespec="seconds")
            where = f"{describe(first.path)} ({first.field or 'unknown field'})"
            text = f"{at} {where}: v3 {_value(expected, first)} != v4 {_value(actual, first)}"
            metrics.remember(f"shadow:{job.flag}", text, keep=RECENT_KEPT)
            for difference in differences[:EXAMPLE_FIELDS]:
                example = {
                    "at": at, "operationName": job.operation_name,
                    "path": describe(difference.path),
                    "v3": _value(expected, difference), "v4": _value(actual, difference),
                }  # fmt: skip
                name = f"shadow:{job.flag}:{difference.field or 'unknown'}"
                metrics.remember(name, json.dumps(example), keep=EXAMPLES_KEPT)
            fields = [d.field for d in differences]
            log.warning(
                "shadow mismatch", flag=job.flag, path=describe(first.path), field=first.field,
                fields=fields,
            )  # fmt: skip

    async def drain(self) -> None:
        """Wait a little for comparisons under way, then cancel the rest."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=DRAIN_SECONDS)
        for task in pending:
            task.cancel()

    @property
    def running(self) -> int:
        return len(self._tasks)


def _value(data: Any, difference: Difference) -> str:
    """The value at the difference's path, as JSON, with private values redacted."""
    for part in difference.path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return "(absent)"
    text = json.dumps(shown(data, difference.field), default=str)
    return text if len(text) <= 80 else text[:77] + "..."
