"""A flag's figures in the schema: calls, errors and latency per version, and its shadow."""

from __future__ import annotations

import strawberry

from jewgo.flags.metrics import Cell, domains_of, flag_series, versions_of
from jewgo.flags.noise import NOISE_RUNS, FieldFigures, NoiseRule, figures, mismatches_beyond_noise
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
    count: int = strawberry.field(description="Comparisons of v3 and v4 that differed here.")
    noise: int = strawberry.field(description="Runs of v3 against v3 that differed here.")
    raw_rate_percent: float = strawberry.field(description="count / comparisons * 100.")
    noise_rate_percent: float = strawberry.field(description="noise / noiseComparisons * 100.")
    beyond_noise: bool = strawberry.field(
        description="Whether the raw rate exceeds the noise rate by both thresholds "
        "(SHADOW_NOISE_RELATIVE_PERCENT, SHADOW_NOISE_ABSOLUTE_PERCENT): a v4 difference."
    )

    @classmethod
    def of(cls, found: FieldFigures) -> FieldMismatches:
        return cls(
            field=found.field,
            count=found.mismatches,
            noise=found.noise,
            raw_rate_percent=found.raw_rate * 100,
            noise_rate_percent=found.noise_rate * 100,
            beyond_noise=found.beyond_noise,
        )


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
        description="Mismatches per schema field, most first, beside each field's noise."
    )
    noise_comparisons: int = strawberry.field(
        description="Comparisons that also ran v3 twice (SHADOW_NOISE_RATE)."
    )
    ignored: int = strawberry.field(
        description="Comparisons that differed only in fields an admin ignores "
        "(counted as matches)."
    )
    mismatches_beyond_noise: int = strawberry.field(
        description="The mismatches of fields beyond their noise (and of no known field): "
        "what the rollout's shadow guard counts."
    )

    @classmethod
    def of(cls, cell: Cell, recent: list[str], noise: NoiseRule) -> ShadowMetrics:
        return cls(
            comparisons=cell.calls,
            matches=cell.extra.get("match", 0),
            mismatches=cell.extra.get("mismatch", 0),
            candidate_errors=cell.extra.get("candidate_error", 0),
            recent_mismatches=recent,
            by_field=[FieldMismatches.of(found) for found in figures(cell, noise)],
            noise_comparisons=cell.extra.get(NOISE_RUNS, 0),
            ignored=cell.extra.get("ignored", 0),
            mismatches_beyond_noise=mismatches_beyond_noise(cell, noise),
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
        shadow=ShadowMetrics.of(window.get((flag, "shadow"), Cell()), recent, context.noise),
    )
