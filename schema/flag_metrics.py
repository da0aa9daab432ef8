"""A flag's figures in the schema: calls, errors and latency per version, and its shadow."""

from __future__ import annotations

import strawberry

from jewgo.flags.metrics import Cell, domains_of, flag_series, versions_of
from jewgo.schema.context import Info
from jewgo.schema.enums import Variant


@strawberry.type
class VersionMetrics:
    version: Variant
    requests: int
    errors: int
    error_rate_percent: float = strawberry.field(
        description="errors / requests * 100 over the monitoring window; 0 with no requests."
    )
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None

    @classmethod
    def of(cls, version: Variant, cell: Cell) -> VersionMetrics:
        return cls(
            version=version,
            requests=cell.calls,
            errors=cell.errors,
            error_rate_percent=cell.error_rate_percent,
            p50_ms=cell.percentile_ms(0.50),
            p95_ms=cell.percentile_ms(0.95),
            p99_ms=cell.percentile_ms(0.99),
        )


@strawberry.type
class FieldMismatches:
    field: str = strawberry.field(description="`Type.field` where the results first differed.")
    count: int


@strawberry.type
class ShadowMetrics:
    comparisons: int
    matches: int
    mismatches: int
    candidate_errors: int
    recent_mismatches: list[str] = strawberry.field(
        description="Newest first; at most a handful, each naming the first differing path."
    )
    by_field: list[FieldMismatches] = strawberry.field(
        description="Mismatches per schema field, most first."
    )

    @classmethod
    def of(cls, cell: Cell, recent: list[str]) -> ShadowMetrics:
        per_field = sorted(
            ((name.removeprefix("field:"), n) for name, n in cell.extra.items()
             if name.startswith("field:")),
            key=lambda item: (-item[1], item[0]),
        )  # fmt: skip
        return cls(
            comparisons=cell.calls,
            matches=cell.extra.get("match", 0),
            mismatches=cell.extra.get("mismatch", 0),
            candidate_errors=cell.extra.get("candidate_error", 0),
            recent_mismatches=recent,
            by_field=[FieldMismatches(field=name, count=n) for name, n in per_field],
        )


@strawberry.type(
    description="Calls are requests' uses of the flag's domain (every domain for the master "
    "and capability flags); errors are internal errors only."
)
class FlagMetrics:
    window_seconds: int
    versions: list[VersionMetrics]
    shadow: ShadowMetrics


async def flag_metrics(info: Info, flag: str) -> FlagMetrics:
    """The flag's figures over the monitoring window (fleet-wide with Redis)."""
    context = info.context
    seconds = context.metrics_window_seconds
    window = await context.metrics.window(seconds, flag_series(flag))
    cells = versions_of(window, domains_of(flag))
    recent = await context.metrics.recent(f"shadow:{flag}", 5)
    return FlagMetrics(
        window_seconds=seconds,
        versions=[VersionMetrics.of(v, cells[v.value]) for v in Variant],
        shadow=ShadowMetrics.of(window.get((flag, "shadow"), Cell()), recent),
    )
