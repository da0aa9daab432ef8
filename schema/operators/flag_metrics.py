"""A flag's figures in the schema: calls, errors and latency per version, and its shadow."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime

import strawberry

from jewgo.flags.telemetry.noise import (
    NOISE_RUNS,
    FieldFigures,
    NoiseRule,
    figures,
    mismatches_beyond_noise,
)
from jewgo.flags.telemetry.window import Cell, domains_of, flag_series, versions_of
from jewgo.resolvers.errors import InvalidInput
from jewgo.schema.context import Info
from jewgo.schema.directory.enums import Variant


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


@strawberry.type(description="One recent difference of a field (private values redacted).")
class ShadowExample:
    at: str
    operation_name: str | None
    path: str
    v3: str = strawberry.field(description="v3's value at the path, as JSON.")
    v4: str = strawberry.field(description="v4's value at the path, as JSON.")


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
    examples: list[ShadowExample] = strawberry.field(
        description="The latest differences of this field, newest first (at most 3)."
    )

    @classmethod
    def of(cls, found: FieldFigures, examples: list[str]) -> FieldMismatches:
        return cls(
            examples=[_example(text) for text in examples],
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
    def of(
        cls,
        cell: Cell,
        recent: list[str],
        noise: NoiseRule,
        examples: Mapping[str, list[str]],
    ) -> ShadowMetrics:
        return cls(
            comparisons=cell.calls,
            matches=cell.extra.get("match", 0),
            mismatches=cell.extra.get("mismatch", 0),
            candidate_errors=cell.extra.get("candidate_error", 0),
            recent_mismatches=recent,
            by_field=[
                FieldMismatches.of(found, examples.get(found.field, []))
                for found in figures(cell, noise)
            ],
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
    _flag: strawberry.Private[str]

    @strawberry.field(
        description="The last `minutes` (at most 180) in steps of `stepSeconds` (at least "
        "the metrics bucket; at most 360 steps): per step, each version's figures and the "
        "shadow's comparisons, fleet-wide with Redis. For charts."
    )
    async def series(
        self, info: Info, minutes: int = 60, step_seconds: int = 60
    ) -> list[MetricsPoint]:
        return await metrics_series(info, self._flag, minutes, step_seconds)


async def flag_metrics(info: Info, flag: str) -> FlagMetrics:
    """The flag's figures over the monitoring window (fleet-wide with Redis)."""
    context = info.context
    seconds = context.app.metrics_window_seconds
    window = await context.app.metrics.window(seconds, flag_series(flag))
    cells = versions_of(window, domains_of(flag))
    recent = await context.app.metrics.recent(f"shadow:{flag}", 5)
    shadow = window.get((flag, "shadow"), Cell())
    examples = {
        found.field: await context.app.metrics.recent(f"shadow:{flag}:{found.field}", 3)
        for found in figures(shadow, context.app.noise)
        if found.mismatches
    }
    return FlagMetrics(
        _flag=flag,
        window_seconds=seconds,
        versions=[VersionMetrics.of(v, cells[v.value]) for v in Variant],
        shadow=ShadowMetrics.of(shadow, recent, context.app.noise, examples),
    )


def _example(text: str) -> ShadowExample:
    """An example the shadow remembered (gateway/verification/shadow.py writes them)."""
    data = json.loads(text)
    return ShadowExample(
        at=str(data["at"]), operation_name=data.get("operationName"), path=str(data["path"]),
        v3=str(data["v3"]), v4=str(data["v4"]),
    )  # fmt: skip


@strawberry.type(description="One step of a flag's figures over time.")
class MetricsPoint:
    at: datetime = strawberry.field(description="The start of the step.")
    versions: list[VersionMetrics]
    shadow_comparisons: int
    shadow_mismatches: int


MAX_MINUTES, MAX_STEPS = 180, 360


async def metrics_series(info: Info, flag: str, minutes: int, step: int) -> list[MetricsPoint]:
    metrics = info.context.app.metrics
    if not 1 <= minutes <= MAX_MINUTES:
        raise InvalidInput(f"`minutes` must be 1 to {MAX_MINUTES}", {"minutes": "out of range"})
    bucket = metrics.bucket_seconds
    if not bucket <= step <= 3600 or step % bucket or minutes * 60 // step > MAX_STEPS:
        raise InvalidInput(
            f"`stepSeconds` must be a multiple of {bucket} from {bucket} to 3600, with at "
            f"most {MAX_STEPS} steps", {"stepSeconds": "out of range"},
        )  # fmt: skip
    points = []
    domains = domains_of(flag)
    for start, cells in await metrics.series(minutes * 60, step, flag_series(flag)):
        versions = versions_of(cells, domains)
        shadow = cells.get((flag, "shadow"), Cell())
        points.append(
            MetricsPoint(
                at=datetime.fromtimestamp(start, UTC),
                versions=[VersionMetrics.of(v, versions[v.value]) for v in Variant],
                shadow_comparisons=shadow.calls, shadow_mismatches=shadow.extra.get("mismatch", 0),
            )
        )  # fmt: skip
    return points
