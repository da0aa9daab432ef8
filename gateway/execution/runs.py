"""Running the operations of one HTTP request: one, or each of a batch on its own.

Each operation's document comes through the persisted-query protocol, is executed with
its own context, is timed (and, in a batch, counts its own SQL statements), and, when
it was a valid document that ran, is counted in the operation registry. In a batch one
operation's refusal is its own result; the others run as if it were not there.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from jewgo.db.engine import STATEMENTS
from jewgo.gateway.operations.persisted import PersistedQueries, PersistedQueryError
from jewgo.gateway.operations.registry import OperationRegistry, document_hash
from jewgo.gateway.request import bodies
from jewgo.resolvers.domain import Viewer
from jewgo.schema.context import Context


class ProtocolAnswer(Exception):
    """A persisted-query answer for the client to act on (not found, not in the list),
    raised out of the run for the view to answer as a request error."""

    def __init__(self, refusal: PersistedQueryError) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


@dataclass
class Executed:
    """One operation of an HTTP request, as run: what accounting records of it."""

    context: Context
    sent: GraphQLRequestData
    seconds: float = 0.0
    statements: int = 0
    data: Any = None
    # Why a batch's operation cannot run (its persisted query refused): its own result.
    failure: PersistedQueryError | HTTPException | None = None
    # The response cache's key for it (None: not cacheable) and, on a HIT, the stored ETag.
    cache_key: str | None = None
    etag: str | None = None


class OperationRunner:
    def __init__(self, persisted: PersistedQueries, registry: OperationRegistry) -> None:
        self._persisted = persisted
        self._registry = registry

    async def resolve(self, run: Executed, viewer: Viewer | None) -> None:
        """A lone operation's document, through the persisted-query protocol; a refusal
        propagates (the whole request is refused)."""
        try:
            run.sent = await self._persisted.resolve(run.sent, viewer)
        except PersistedQueryError as exc:
            if exc.malformed:
                raise HTTPException(400, exc.message) from exc
            raise ProtocolAnswer(exc) from exc

    async def resolve_batch(self, runs: Sequence[Executed], viewer: Viewer | None) -> None:
        """Each batch operation's document; a refusal is kept as that operation's failure."""
        for run in runs:
            try:
                bodies.check_operation_name(run.sent.operation_name)
                run.sent = await self._persisted.resolve(run.sent, viewer)
            except HTTPException as exc:  # a name no log can hold: this operation only
                run.sent = replace(run.sent, operation_name=None)
                run.failure = exc
            except PersistedQueryError as exc:
                run.failure = exc

    @asynccontextmanager
    async def timed(self, run: Executed) -> AsyncIterator[None]:
        """Around a lone operation's execution: its time, then its registry record."""
        started = time.perf_counter()
        try:
            yield
        finally:
            run.seconds = time.perf_counter() - started
            await self._record(run)

    @asynccontextmanager
    async def batched(self, run: Executed) -> AsyncIterator[None]:
        """Around one operation of a batch, run in a task of its own: its time, its own
        count of SQL statements, then its registry record."""
        counted = [0]
        counting = STATEMENTS.set(counted)
        started = time.perf_counter()
        try:
            yield
        finally:
            run.seconds = time.perf_counter() - started
            run.statements = counted[0]
            STATEMENTS.reset(counting)
            await self._record(run)

    def refused(
        self, run: Executed, refusal: PersistedQueryError | HTTPException
    ) -> ExecutionResult:
        """A batch operation's own result when it cannot run (its persisted query refused,
        its name unreadable): the others run as if it were not there."""
        message, code = (
            (refusal.message, refusal.code)
            if isinstance(refusal, PersistedQueryError)
            else (refusal.reason, "BAD_USER_INPUT")
        )
        run.context.outcome.error_codes.append(code)
        extensions = {"requestId": run.context.request_id, "versions": {}}
        error = GraphQLError(message, extensions={"code": code})
        return ExecutionResult(data=None, errors=[error], extensions=extensions)

    async def _record(self, run: Executed) -> None:
        """A valid document that ran goes into the operation registry (buffered)."""
        context, query = run.context, run.sent.query
        if not context.outcome.executed or query is None or context.outcome.operation_type is None:
            return
        if await self._persisted.records(document_hash(query)):
            digest = self._registry.seen(
                query, context.outcome.operation_name, context.outcome.operation_type
            )
            if digest is not None and context.outcome.operation_type == "query":
                role = context.viewer.role.value if context.viewer is not None else None
                self._registry.samples.offer(digest, run.sent.variables, role)
                self._registry.coverage.touched(digest, [d.value for d in context.uses])
