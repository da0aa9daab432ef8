"""Accounting of a GraphQL request, in one place: the metrics window per domain and
version (which the rollout controller reads), Prometheus, the hand-off to the shadow,
and the request's log line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from jewgo.flags.metrics import Observation, WindowMetrics
from jewgo.gateway.metrics import (
    QUERY_COST,
    QUERY_COST_OVER_LIMIT,
    REQUEST_SECONDS,
    REQUESTS,
    RESOLVER_CALLS,
    RESOLVER_SECONDS,
    SQL_STATEMENTS,
)
from jewgo.gateway.shadow import Shadow
from jewgo.schema.context import Context
from jewgo.schema.errors import INTERNAL, USER_CODES

log = structlog.get_logger("jewgo.request")


@dataclass(frozen=True, slots=True)
class Operation:
    """What the shadow needs to run an operation again."""

    query: str | None
    variables: Mapping[str, Any] | None
    data: Any


def outcome_of(codes: list[str]) -> str:
    if INTERNAL in codes:
        return "internal_error"
    return "user_error" if any(code in USER_CODES for code in codes) else "ok"


class Accounting:
    def __init__(self, metrics: WindowMetrics, shadow: Shadow | None = None) -> None:
        self._metrics = metrics
        self._shadow = shadow

    def request(
        self,
        context: Context,
        *,
        status: int,
        seconds: float,
        statements: int,
        operation: Operation | None,
    ) -> None:
        """Once per GraphQL request, after its response is built."""
        metrics = self._metrics
        for domain, use in context.uses.items():
            version = use.version.value
            metrics.record(Observation(domain.value, version, use.seconds, use.internal_error))
            RESOLVER_CALLS.labels(domain.value, version, use.outcome).inc()
            RESOLVER_SECONDS.labels(domain.value, version).observe(use.seconds)
        codes = sorted(set(context.error_codes))
        REQUESTS.labels(context.operation_type or "unknown", outcome_of(codes)).inc()
        REQUEST_SECONDS.observe(seconds)
        SQL_STATEMENTS.observe(statements)
        cost = context.cost
        if cost is not None:
            QUERY_COST.observe(cost.estimated)
            if cost.estimated > cost.limit:
                QUERY_COST_OVER_LIMIT.labels(cost.mode).inc()
        if self._shadow is not None and operation is not None:
            self._shadow.consider(context, operation.query, operation.variables, operation.data)
        log.info(
            "graphql request",
            request_id=context.request_id,
            user_id=context.viewer.id if context.viewer is not None else None,
            operation=context.operation_name,
            type=context.operation_type,
            versions=context.versions,
            duration_ms=round(seconds * 1000, 2),
            errors=codes,
            status=status,
            sql_statements=statements,
            cost=cost.estimated if cost is not None else None,
        )
