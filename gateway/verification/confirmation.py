"""Is a v4 error v4's regression? The same read again on v3 says.

When v4 fails a query internally, the error is not counted at once: the operation runs
again, off the request path, with that domain on v3 (for the same caller, uncached). If
v3 fails it too, the input (or the data) is at fault, not v4: the call counts as a
`shared_error`, which the rollout guard leaves out. Otherwise it counts as v4's error,
a moment later. The same failing read (operation, variables, role) is confirmed once
and its verdict kept for a minute, so a caller repeating it costs one run of v3, not
one per request. Mutations are never run twice; a confirmation that cannot run (more
than CONFIRM_CONCURRENCY at once) counts the error at once, as before.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import strawberry
import structlog

from jewgo.db.session import RequestDatabase
from jewgo.flags.stages import Variant
from jewgo.flags.telemetry.window import SHARED_ERRORS, Cell, WindowMetrics, error_cell
from jewgo.gateway.request.context import ContextFactory
from jewgo.gateway.verification.published import Published
from jewgo.resolvers.domain import Domain
from jewgo.schema.context import Context
from jewgo.schema.extensions.errors import INTERNAL

log = structlog.get_logger("jewgo.confirmation")
VERDICT_SECONDS = 60.0
VERDICTS_KEPT = 1000


class ErrorConfirmation:
    def __init__(
        self,
        schema: strawberry.Schema,
        contexts: ContextFactory,
        metrics: WindowMetrics,
        *,
        concurrency: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._schema = schema
        self._contexts = contexts
        self._metrics = metrics
        self._concurrency = concurrency
        self._clock = clock
        self._tasks: set[asyncio.Task[None]] = set()
        # Reads being confirmed, and the callers whose errors wait for their verdict.
        self._pending: dict[str, list[str | None]] = {}
        self._verdicts: OrderedDict[str, tuple[bool, float]] = OrderedDict()

    @staticmethod
    def _key(context: Context, domain: Domain, query: str, variables: Any) -> str:
        role = context.viewer.role.value if context.viewer is not None else "anonymous"
        text = json.dumps([domain.value, role, query, variables], sort_keys=True, default=str)
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()

    def confirm(
        self,
        context: Context,
        domain: Domain,
        query: str,
        variables: Mapping[str, Any] | None,
    ) -> bool:
        """Start confirming a v4 error of `domain`; False when it cannot be (count it)."""
        key = self._key(context, domain, query, variables)
        known = self._verdicts.get(key)
        if known is not None and self._clock() - known[1] < VERDICT_SECONDS:
            self._count(domain, shared=known[0], callers=[context.caller])
            return True
        if key in self._pending:  # the same read is being confirmed: wait for its verdict
            self._pending[key].append(context.caller)
            return True
        if len(self._tasks) >= self._concurrency:
            return False
        self._pending[key] = [context.caller]
        task = asyncio.create_task(
            self._confirm(key, context, domain, query, variables),
            name="confirm-v4-error",
            context=contextvars.Context(),
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    def awaiting(self, record: Published) -> None:
        """Accounting's subscriber to the v4 errors of a read it left out of its window to
        await a verdict: each is confirmed on v3, or counted at once when it cannot be."""
        query, context = record.operation.query, record.context
        if query is None:
            return
        for domain in record.awaiting_verdict:
            try:
                started = self.confirm(context, domain, query, record.operation.variables)
            except Exception:  # the error stands unconfirmed: it counts, as v4's
                log.exception("confirming a v4 error failed", request_id=context.request_id)
                started = False
            if not started:
                self._count(domain, shared=False, callers=[context.caller])

    def _count(self, domain: Domain, *, shared: bool, callers: list[str | None]) -> None:
        series = (domain.value, Variant.V4.value)
        for caller in callers:
            if shared:
                self._metrics.add(series, Cell(extra={SHARED_ERRORS: 1}))
            else:
                self._metrics.add(series, error_cell(caller))

    async def _confirm(
        self,
        key: str,
        primary: Context,
        domain: Domain,
        query: str,
        variables: Mapping[str, Any] | None,
    ) -> None:
        versions = {d: Variant(v) for d, v in primary.versions.items()}
        versions[domain.value] = Variant.V3
        db = RequestDatabase(self._contexts.engine)
        context = self._contexts.build(
            db,
            request_id=f"{primary.request_id}:confirm",
            viewer=primary.viewer,
            decisions=primary.decisions.pinned(versions, cache=False),
        )
        shared = False
        try:
            result = await self._schema.execute(
                query,
                variable_values=dict(variables or {}),
                context_value=context,
                operation_name=primary.outcome.operation_name,
            )
            shared = INTERNAL in context.outcome.error_codes or any(
                (error.extensions or {}).get("code") == INTERNAL for error in result.errors or ()
            )
        except Exception:  # a failure of its own: v4's error stands
            log.exception("confirming a v4 error failed", request_id=primary.request_id)
        finally:
            await db.close()
            callers = self._pending.pop(key, [primary.caller])
        self._verdicts[key] = (shared, self._clock())
        while len(self._verdicts) > VERDICTS_KEPT:
            self._verdicts.popitem(last=False)
        if shared:
            log.info("v4 error shared by v3", domain=domain.value, request_id=primary.request_id)
        self._count(domain, shared=shared, callers=callers)

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=5.0)
            for task in self._tasks:
                task.cancel()
