"""The shadow's noise baseline (issue 15, part 1), in the manner of Twitter's Diffy: a share
of shadow samples also runs v3 a second time, and each schema field's differences of v3
against v3 (its noise) are kept beside its differences of v3 against v4 (raw). A field is
a v4 difference only when its raw rate exceeds its noise rate by both thresholds:

    raw > noise * (1 + relative)   and   raw - noise > absolute

(rates are shares of the comparisons made; Diffy's defaults: 20 % relative, 0.03 % of the
comparisons absolute). A field never seen as noise has a noise rate of 0, and so has every
field until `min_runs` (30) noise runs were made. Mismatches the shadow could not name a
field for always count.

The shadow's window cell carries the counts: `mismatch`, `field:T.f` (raw mismatches by
field: a comparison counts in each field it differed in), `mismatch_unnamed`,
`noise_comparisons`, and `noise:T.f` (v3 against v3, by field). Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from jewgo.flags.telemetry.window import Cell

RAW, NOISE, NOISE_RUNS = "field:", "noise:", "noise_comparisons"
UNNAMED = "mismatch_unnamed"  # mismatches with no field the shadow could name


@dataclass(frozen=True, slots=True)
class NoiseRule:
    relative: float = 0.20  # a share: 0.2 is 20 % above the noise rate
    absolute: float = 0.0003  # a share of the comparisons: 0.0003 is 0.03 %
    # Noise counts only once this many v3-against-v3 runs were made: one noisy run of a
    # handful (a write between the two runs, say) must not blind the guard to a field.
    min_runs: int = 30


DEFAULT_RULE = NoiseRule()  # Diffy's defaults


@dataclass(frozen=True, slots=True)
class FieldFigures:
    field: str
    mismatches: int
    noise: int
    raw_rate: float  # shares of the comparisons, 0 to 1
    noise_rate: float
    beyond_noise: bool


def figures(cell: Cell, rule: NoiseRule) -> list[FieldFigures]:
    """Each field that differed, against v4 or as noise, most raw mismatches first."""
    comparisons = max(cell.calls, 1)
    noise_runs = cell.extra.get(NOISE_RUNS, 0)
    names = {
        name.removeprefix(RAW).removeprefix(NOISE)
        for name in cell.extra
        if name.startswith(RAW) or name.startswith(NOISE)
    }
    found = []
    for name in names:
        raw, noise = cell.extra.get(RAW + name, 0), cell.extra.get(NOISE + name, 0)
        raw_rate = raw / comparisons
        noise_rate = noise / noise_runs if noise_runs >= rule.min_runs else 0.0
        beyond = (
            raw > 0
            and raw_rate > noise_rate * (1 + rule.relative)
            and raw_rate - noise_rate > rule.absolute
        )
        found.append(FieldFigures(name, raw, noise, raw_rate, noise_rate, beyond))
    return sorted(found, key=lambda f: (-f.mismatches, -f.noise, f.field))


def mismatches_beyond_noise(cell: Cell, rule: NoiseRule) -> int:
    """The mismatches the rollout's shadow guard counts: those of fields beyond their
    noise, and those of no known field. A comparison counts each field it differed in,
    so the sum is capped at the mismatches made (an upper bound: the guard holds
    rather than lets a difference through)."""
    beyond = sum(f.mismatches for f in figures(cell, rule) if f.beyond_noise)
    return min(cell.extra.get("mismatch", 0), beyond + cell.extra.get(UNNAMED, 0))
