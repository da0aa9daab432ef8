"""How far the migration is, computed from a snapshot (pure)."""

from __future__ import annotations

from collections import Counter

from jewgo.flags.snapshot import Snapshot
from jewgo.flags.stages import DOMAIN_FLAGS, MASTER, Stage


def effective_percentage(snapshot: Snapshot, name: str) -> float:
    """The share of ordinary callers this flag sends to v4 (overrides and staff aside)."""
    env = snapshot.env.get(name)
    if env is not None and env.forced is not None:
        return 100.0 if env.forced else 0.0
    state = snapshot.flags[name]
    if state.stage in (Stage.FULL, Stage.COMPLETE):
        return 100.0
    if state.stage is Stage.PARTIAL:
        if env is not None and env.percentage is not None:
            return env.percentage
        return state.percentage
    return 0.0


def enabled(snapshot: Snapshot, name: str) -> bool:
    """Whether the flag can send anyone to v4 at all."""
    env = snapshot.env.get(name)
    if env is not None and env.forced is not None:
        return env.forced
    return snapshot.flags[name].stage is not Stage.DISABLED


def migration_percentage(snapshot: Snapshot) -> float:
    """The mean share of domain traffic served by v4. A domain needs the master flag too,
    and cohorts nest (one salt), so its share is the smaller of the two percentages."""
    master = effective_percentage(snapshot, MASTER)
    shares = [min(master, effective_percentage(snapshot, f)) for f in DOMAIN_FLAGS.values()]
    return sum(shares) / len(shares)


def stage_counts(snapshot: Snapshot) -> Counter[Stage]:
    return Counter(state.stage for state in snapshot.flags.values())
