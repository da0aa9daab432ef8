"""The rollout guard's error rate, weighted by caller: no caller, and no few callers, can
move a rollout (SPEC §10).

Each call is counted in one of SLOTS slots by its caller (a signed-in user, else the
address it came from: `X-Client-Id` is the caller's to invent). Every slot then weighs at
most SHARE of the window, water-filled: a slot's weight is its calls, capped at the one
level C where C is SHARE of all weights together. A flood of calls from one caller (to
fail v4, or to drown a real fault in successes) counts as one caller's share, while a
fault spread over many callers counts at its full rate. With too few callers for any
slot to stay under SHARE, every caller weighs the same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

SLOTS = 128


def slot(caller: str) -> int:
    digest = hashlib.blake2b(caller.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % SLOTS


def calls_field(index: int) -> str:
    return f"c{index}"


def errors_field(index: int) -> str:
    return f"e{index}"


@dataclass(frozen=True, slots=True)
class Weighted:
    rate_percent: float  # the error rate with every caller's weight bounded
    callers: int  # slots with calls
    error_callers: int  # slots with errors


def slots_of(extra: Mapping[str, int]) -> dict[int, tuple[int, int]]:
    """(calls, errors) per slot from a window cell's named counts."""
    found: dict[int, tuple[int, int]] = {}
    for index in range(SLOTS):
        calls = extra.get(calls_field(index), 0)
        if calls:
            found[index] = (calls, extra.get(errors_field(index), 0))
    return found


def _cap(calls: list[int], share: float) -> float | None:
    """The largest C with C <= share * sum(min(c, C)); None when no slot needs capping,
    0.0 when no positive C exists (too few callers)."""
    if share * len(calls) <= 1:
        return 0.0
    top = float(max(calls))
    if top <= share * sum(calls):
        return None
    low, high = 0.0, top
    for _ in range(60):
        middle = (low + high) / 2
        if middle <= share * sum(min(c, middle) for c in calls):
            low = middle
        else:
            high = middle
    return low


def weigh(slots: Mapping[int, tuple[int, int]], share: float) -> Weighted:
    active = {i: counts for i, counts in slots.items() if counts[0] > 0}
    error_callers = sum(1 for _, errors in active.values() if errors)
    if not active:
        return Weighted(0.0, 0, 0)
    cap = _cap([calls for calls, _ in active.values()], share)
    weight_total = errors_total = 0.0
    for calls, errors in active.values():
        if cap == 0.0:
            weight = 1.0  # too few callers: each weighs the same
        elif cap is None:
            weight = float(calls)
        else:
            weight = min(float(calls), cap)
        weight_total += weight
        errors_total += min(errors, calls) * weight / calls
    return Weighted(errors_total / weight_total * 100, len(active), error_callers)
