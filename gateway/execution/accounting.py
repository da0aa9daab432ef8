"""Accounting of a GraphQL request, in one place: the metrics window per domain and
version (which the rollout controller reads), Prometheus and the request's log line.

Accounting observes and does not act (STYLE point 20): once it has recorded an executed
operation it publishes an `Accounted` record, and whoever acts on it (the shadow, the
confirmation of v4's errors on v3) subscribes at wiring time (gateway/wiring/), reading
it through gateway/verification/published.py's protocols, without importing this.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from starlette.responses import Response

from jewgo.flags.stages import DOMAIN_FLAGS
from jewgo.flags.telemetry.daily_calls import DailyCalls
from jewgo.flags.telemetry.reach import Reach
from jewgo.flags.telemetry.window import CACHED, Observation, WindowMetrics, error_cell
from jewgo.gateway.execution.runs import Executed
from jewgo.gateway.telemetry.logs import info_line, info_members, json_string
from jewgo.gateway.telemetry.metrics import (
    QUERY_COST,
    QUERY_COST_OVER_LIMIT,
    REQUEST_SECONDS,
    REQUESTS,
    RESOLVER_CALLS,
    RESOLVER_SECONDS,
    SQL_STATEMENTS,
    Children,
)
from jewgo.resolvers.domain import Domain
from jewgo.schema.context import Context
from jewgo.schema.extensions.errors import INTERNAL, USER_CODES

log = structlog.get_logger("jewgo.request")
_published = structlog.get_logger("jewgo.accounting")
_CALLS, _SECONDS, _REQUESTS = (
    Children(RESOLVER_CALLS),
    Children(RESOLVER_SECONDS),
    Children(REQUESTS),
)


@dataclass(frozen=True, slots=True)
class Operation:
    """What the shadow needs to run an operation again."""

    query: str | None
    variables: Mapping[str, Any] | None
    data: Any


@dataclass(frozen=True, slots=True)
class Answered:
    """An answer from the response cache, as accounting records it."""

    request_id: str
    user_id: int | None
    operation: str | None
    versions: Mapping[str, str]
    status: int = 200


@dataclass(frozen=True, slots=True)
class Accounted:
    """An executed operation (not a response-cache HIT), once accounting has recorded it:
    what it publishes to its subscribers."""

    context: Context
    operation: Operation
    status: int
    # The domains whose v4 error of this read the window left out, to be counted by the
    # verdict of its confirmation on v3 (a subscriber of `v4_errors`).
    awaiting_verdict: tuple[Domain, ...] = ()


Subscriber = Callable[[Accounted], None]


class Publisher:
    """Accounting's subscribers, registered at wiring time. Each is handed every record,
    in the order they subscribed, on the request's path after its response: a subscriber
    starts its own work off that path. One that fails is logged; accounting and the other
    subscribers go on."""

    def __init__(self, subscribers: Sequence[Subscriber] = ()) -> None:
        self._subscribers: list[Subscriber] = list(subscribers)

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def __bool__(self) -> bool:
        return bool(self._subscribers)

    def publish(self, record: Accounted) -> bool:
        """Whether every subscriber took the record."""
        delivered = True
        for subscriber in self._subscribers:
            try:
                subscriber(record)
            except Exception:  # one subscriber's failure is its own
                delivered = False
                _published.exception(
                    "an accounting subscriber failed",
                    subscriber=getattr(subscriber, "__qualname__", repr(subscriber)),
                    request_id=record.context.request_id,
                )
        return delivered


def _operation(run: Executed) -> Operation:
    return Operation(run.sent.query, run.sent.variables, run.data)


def outcome_of(codes: list[str]) -> str:
    if INTERNAL in codes:
        return "internal_error"
    if "SERVICE_UNAVAILABLE" in codes:
        return "unavailable"
    return "user_error" if any(code in USER_CODES for code in codes) else "ok"


class Accounting:
    def __init__(
        self,
        metrics: WindowMetrics,
        reach: Reach | None = None,
        daily: DailyCalls | None = None,
        *,
        answered: Publisher | None = None,
        v4_errors: Publisher | None = None,
    ) -> None:
        """`answered`: each executed operation, once recorded. `v4_errors`: an operation
        with a v4 internal error of a read; given it, the window leaves such an error out,
        for the verdict of a subscriber (its confirmation on v3) to count."""
        self._metrics = metrics
        self._reach = reach
        self._daily = daily
        self._answered = answered
        self._v4_errors = v4_errors
        self._rendered: dict[tuple[object, ...], str] = {}

    def http(
        self,
        method: str,
        context: Context | None,
        executed: Sequence[Executed],
        response: Response | None,
        seconds: float,
        statements: int,
    ) -> None:
        """Once per HTTP request to the GraphQL endpoint that carried operations: its
        context (None: no caller was identified) and the operations it ran."""
        if context is None or method not in ("GET", "POST"):
            return
        if method == "GET" and not executed and not context.outcome.error_codes:
            return  # GraphiQL's page, not an operation
        status = response.status_code if response is not None else 500
        self.http_request(context, executed, status, seconds, statements)

    def http_request(
        self,
        context: Context,
        executed: Sequence[Executed],
        status: int,
        seconds: float,
        statements: int,
    ) -> None:
        """Once per HTTP request: its one operation measured by the whole request, or each
        operation of a batch on its own."""
        if len(executed) <= 1:
            run = executed[0] if executed else None
            self.request(
                context if run is None else run.context,
                status=status,
                seconds=seconds,
                statements=statements,
                operation=None if run is None else _operation(run),
            )
            return
        for run in executed:
            self.request(
                run.context,
                status=status,
                seconds=run.seconds,
                statements=run.statements,
                operation=_operation(run),
            )

    def request(
        self,
        context: Context,
        *,
        status: int,
        seconds: float,
        statements: int,
        operation: Operation | None,
    ) -> None:
        """Once per GraphQL request, after its response is built (an answer from the
        response cache: `hit`)."""
        if context.outcome.cache_status == "HIT":
            viewer = context.viewer
            user_id = viewer.id if viewer is not None else None
            answered = Answered(
                context.request_id,
                user_id,
                context.outcome.operation_name,
                context.versions,
                status,
            )
            self.hit(answered, seconds=seconds, statements=statements)
            return
        metrics = self._metrics
        # A v4 error of a read is v4's only if v3 does not fail the same read too: with
        # a subscriber to `v4_errors`, its verdict counts it, not the window now.
        confirmable = (
            bool(self._v4_errors)
            and operation is not None
            and operation.query is not None
            and context.outcome.operation_type == "query"
        )
        awaiting: list[Domain] = []
        for domain, use in context.uses.items():
            version = use.version.value
            waits = confirmable and use.internal_error and version == "v4"
            if waits:
                awaiting.append(domain)
            metrics.record(
                Observation(
                    domain.value,
                    version,
                    use.seconds,
                    use.internal_error and not waits,
                    caller=context.caller,
                )
            )
            if self._daily is not None:
                self._daily.record(domain.value, version)
            if version == "v4" and self._reach is not None:
                self._reach.record(DOMAIN_FLAGS[domain.value], context.subject.key)
            _CALLS(domain.value, version, use.outcome).inc()
            _SECONDS(domain.value, version).observe(use.seconds)
        codes = sorted(set(context.outcome.error_codes))
        _REQUESTS(context.outcome.operation_type or "unknown", outcome_of(codes)).inc()
        REQUEST_SECONDS.observe(seconds)
        SQL_STATEMENTS.observe(statements)
        cost = context.cost
        if cost is not None:
            QUERY_COST.observe(cost.estimated)
            if cost.estimated > cost.limit:
                QUERY_COST_OVER_LIMIT.labels(cost.mode).inc()
        _log(
            request_id=context.request_id,
            user_id=context.viewer.id if context.viewer is not None else None,
            operation=context.outcome.operation_name,
            kind=context.outcome.operation_type,
            versions=context.versions,
            seconds=seconds,
            errors=codes,
            status=status,
            statements=statements,
            cost=cost.estimated if cost is not None else None,
            cache=context.outcome.cache_status,
        )
        if operation is None:
            return
        record = Accounted(context, operation, status, tuple(awaiting))
        if awaiting and self._v4_errors is not None and not self._v4_errors.publish(record):
            # No verdict will come: the errors count now, as if none had waited for one.
            for domain in awaiting:
                metrics.add((domain.value, "v4"), error_cell(context.caller))
        if self._answered is not None:
            self._answered.publish(record)

    def hit(self, answered: Answered, *, seconds: float, statements: int) -> None:
        """An answer from the response cache: it ran nothing, so it counts as `cached` for
        its versions, outside the window's error rates (over executions) and the shadow's
        samples."""
        served = list(answered.versions.items())
        for domain, version in served:
            _CALLS(domain, version, CACHED).inc()
        self._metrics.count(served, CACHED)
        _REQUESTS("query", CACHED).inc()
        REQUEST_SECONDS.observe(seconds)
        SQL_STATEMENTS.observe(statements)
        # The line _log writes, from members rendered once per operation and versions.
        shared = self._rendered.get((answered.operation, *served))
        if shared is None:
            shared = _rendered_hit(answered)
            if len(self._rendered) >= 1024:
                self._rendered.clear()
            self._rendered[(answered.operation, *served)] = shared
        user = "null" if answered.user_id is None else str(int(answered.user_id))
        members = (
            f'"request_id": {json_string(answered.request_id)}, "user_id": {user}, {shared}, '
            f'"duration_ms": {round(seconds * 1000, 2)!r}, "errors": [], '
            f'"status": {int(answered.status)}, "sql_statements": {int(statements)}, '
            '"cost": null, "cache": "HIT"'
        )
        if not info_members("graphql request", members):
            _log(
                request_id=answered.request_id,
                user_id=answered.user_id,
                operation=answered.operation,
                kind="query",
                versions=answered.versions,
                seconds=seconds,
                errors=[],
                status=answered.status,
                statements=statements,
                cost=None,
                cache="HIT",
            )


def _rendered_hit(answered: Answered) -> str:
    """The members of a HIT's log line that its operation and versions decide."""
    operation = "null" if answered.operation is None else json_string(answered.operation)
    versions = json.dumps(dict(answered.versions))
    return f'"operation": {operation}, "type": "query", "versions": {versions}'


def _log(
    *,
    request_id: str,
    user_id: int | None,
    operation: str | None,
    kind: str | None,
    versions: Mapping[str, str],
    seconds: float,
    errors: list[str],
    status: int,
    statements: int,
    cost: int | None,
    cache: str | None,
) -> None:
    """The request's log line."""
    line = {
        "request_id": request_id,
        "user_id": user_id,
        "operation": operation,
        "type": kind,
        "versions": versions,
        "duration_ms": round(seconds * 1000, 2),
        "errors": errors,
        "status": status,
        "sql_statements": statements,
        "cost": cost,
        "cache": cache,
    }
    if not info_line("graphql request", line):
        log.info("graphql request", **line)
