"""Prometheus: the metric families of SPEC §5, and the flag gauges."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Generic, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import Response

from jewgo.flags.admin.sync import Flags
from jewgo.flags.alerts.store import Alert
from jewgo.flags.stages import FLAG_NAMES, Stage

M = TypeVar("M", Counter, Histogram)


class Children(Generic[M]):
    """A family's children by label values, each looked up once: `labels()` builds and
    checks its tuple and takes the family's lock at every call."""

    def __init__(self, family: M) -> None:
        self._family: M = family
        self._children: dict[tuple[str, ...], M] = {}

    def __call__(self, *values: str) -> M:
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = self._family.labels(*values)
        return child


_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
REQUESTS = Counter(
    "jewgo_requests_total", "GraphQL requests by operation type and outcome", ["type", "outcome"]
)
REQUEST_SECONDS = Histogram(
    "jewgo_request_duration_seconds", "GraphQL request latency", buckets=_SECONDS
)
RESOLVER_CALLS = Counter(
    "jewgo_resolver_calls_total",
    "Domain calls (one per request per domain) by version and outcome",
    ["domain", "version", "outcome"],
)
RESOLVER_SECONDS = Histogram(
    "jewgo_resolver_duration_seconds",
    "Time a request spent in a domain, by version",
    ["domain", "version"],
    buckets=_SECONDS,
)
SQL_STATEMENTS = Histogram(
    "jewgo_sql_statements_per_request",
    "SQL statements a GraphQL request ran",
    buckets=(0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64, 128, 256),
)
QUERY_COST = Histogram(
    "jewgo_query_cost_estimated",
    "Estimated cost of a GraphQL request (a batch: all its operations)",
    buckets=(0, 1, 10, 30, 100, 300, 1000, 3000, 10_000, 30_000, 100_000, 1_000_000),
)
QUERY_COST_OVER_LIMIT = Counter(
    "jewgo_query_cost_over_limit_total",
    "Requests estimated over MAX_QUERY_COST, by mode (enforce: refused; measure: run)",
    ["mode"],
)
SHADOW_RESULTS = Counter(
    "jewgo_shadow_comparisons_total",
    "Shadow comparisons by flag and result (match, mismatch, candidate_error, shed)",
    ["flag", "result"],
)
SHADOW_MISMATCH_FIELDS = Counter(
    "jewgo_shadow_mismatches_total",
    "Shadow mismatches by flag and the schema field where the results first differ",
    ["flag", "field"],
)

CACHE_LOOKUPS = Counter(
    "jewgo_cache_lookups_total", "Cache lookups by layer and result", ["layer", "result"]
)
RESPONSE_CACHE = Counter(
    "jewgo_response_cache_lookups_total",
    "Response cache lookups by layer (near, redis) and result",
    ["layer", "result"],
)
CACHE_FALLBACKS = Counter(
    "jewgo_cache_fallbacks_total", "Cache operations served by memory because Redis failed"
)

LOOP_LAG = Histogram(
    "jewgo_event_loop_lag_seconds",
    "How much later than asked the event loop woke its lag watch (gateway.loop_lag)",
    buckets=_SECONDS,
)
LOOP_LAG_WORST = Gauge(
    "jewgo_event_loop_lag_max_seconds",
    "The worst event-loop lag since the lag watch started (with several workers: the worst)",
    multiprocess_mode="max",
)

ALERT_NOTIFICATIONS = Counter(
    "jewgo_alert_notifications_total",
    "Webhook deliveries of alert events by outcome (delivered, retry, failed)",
    ["outcome"],
)


class AlertGauges:
    """Firing alerts by rule and flag (the fleet's, as stored; every instance shows them),
    and whether this instance leads the rollout controller."""

    def __init__(self, firing: Callable[[], Sequence[Alert]], leading: Callable[[], bool]) -> None:
        self._firing = firing
        self._leading = leading

    def collect(self) -> Iterator[Metric]:
        firing = GaugeMetricFamily(
            "jewgo_alerts_firing",
            "1 for each alert firing now, by rule, flag (empty: the fleet) and severity",
            labels=["rule", "flag", "severity"],
        )
        for alert in self._firing():
            firing.add_metric([alert.rule, alert.flag, alert.severity], 1.0)
        leading = GaugeMetricFamily(
            "jewgo_rollout_controller_leading",
            "1 when this instance leads the rollout controller (and evaluates the alerts)",
        )
        leading.add_metric([], 1.0 if self._leading() else 0.0)
        yield firing
        yield leading


class FlagGauges:
    """Prometheus collector of every flag's stage and percentage, from this process."""

    def __init__(self, flags: Flags) -> None:
        self._flags = flags

    def collect(self) -> Iterator[Metric]:
        stage = GaugeMetricFamily(
            "jewgo_flag_stage", "1 for the stage each flag is at", labels=["flag", "stage"]
        )
        percentage = GaugeMetricFamily(
            "jewgo_flag_rollout_percentage", "Stored rollout percentage", labels=["flag"]
        )
        revision = GaugeMetricFamily("jewgo_flag_revision", "Flag revision this process holds")
        try:
            snapshot = self._flags.snapshot
        except RuntimeError:
            return
        for name in FLAG_NAMES:
            state = snapshot.flags[name]
            for candidate in Stage:
                stage.add_metric([name, candidate.value], 1.0 if state.stage is candidate else 0.0)
            percentage.add_metric([name], state.percentage)
        revision.add_metric([], snapshot.revision)
        yield stage
        yield percentage
        yield revision


class _Exposition:
    """What /metrics shows: this process's families (or, with several workers, every
    worker's, through prometheus-client's multiprocess mode) and the flag gauges."""

    def __init__(self, flags: Flags, alerts: AlertGauges | None) -> None:
        self._gauges = FlagGauges(flags)
        self._alerts = alerts
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            self._families: CollectorRegistry = CollectorRegistry()
            MultiProcessCollector(self._families)  # type: ignore[no-untyped-call]
        else:
            self._families = REGISTRY

    def collect(self) -> Iterator[Metric]:
        yield from self._families.collect()
        yield from self._gauges.collect()
        if self._alerts is not None:
            yield from self._alerts.collect()


def metrics_endpoint(
    flags: Flags, alerts: AlertGauges | None = None
) -> Callable[[Request], Awaitable[Response]]:
    exposition = _Exposition(flags, alerts)

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(exposition), media_type=CONTENT_TYPE_LATEST)

    return metrics
