"""How far the migration is, computed from a snapshot (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from jewgo.flags.decide import Subject, decide, stickiness_key
from jewgo.flags.snapshot import Snapshot
from jewgo.flags.stages import DOMAIN_FLAGS, MASTER, Stage, Variant


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


def effective_share(snapshot: Snapshot, name: str) -> float:
    """The share of ordinary callers v4 serves under this flag: a domain flag's needs the
    master flag too, and cohorts nest (one salt), so it is the smaller of the two."""
    own = effective_percentage(snapshot, name)
    if name in DOMAIN_FLAGS.values():
        return min(own, effective_percentage(snapshot, MASTER))
    return own


def enabled(snapshot: Snapshot, name: str) -> bool:
    """Whether the flag can send anyone to v4 at all."""
    env = snapshot.env.get(name)
    if env is not None and env.forced is not None:
        return env.forced
    return snapshot.flags[name].stage is not Stage.DISABLED


def migration_percentage(snapshot: Snapshot) -> float:
    """The mean share of domain traffic served by v4. A domain needs the master flag too,
    and cohorts nest (one salt), so its share is the smaller of the two percentages."""
    shares = [effective_share(snapshot, f) for f in DOMAIN_FLAGS.values()]
    return sum(shares) / len(shares)


def stage_counts(snapshot: Snapshot) -> Counter[Stage]:
    return Counter(state.stage for state in snapshot.flags.values())


def selected_users(snapshot: Snapshot, users: Iterable[tuple[int, str]]) -> dict[str, int]:
    """Per domain flag, how many of `users` (id, role) v4 serves now: the master flag and
    the domain's both decide V4 for them (percentages through the bucket function)."""
    counts = dict.fromkeys(DOMAIN_FLAGS.values(), 0)
    for user_id, role in users:
        subject = Subject(
            user_id=user_id,
            staff=role in ("ADMIN", "MODERATOR"),
            key=stickiness_key(user_id, None, None),
            salt=snapshot.salt,
        )
        if decide(snapshot, MASTER, subject).variant is not Variant.V4:
            continue
        for flag in counts:
            if decide(snapshot, flag, subject).variant is Variant.V4:
                counts[flag] += 1
    return counts
