"""The rules of a change, apart from storage (pure): what may change, and into what.

Each check raises the error its refusal maps to (flags.errors) and returns nothing;
each `…ed` function returns what a change leads to. The admin applies them inside its
transactions, in the order below, so the first broken rule names the refusal:

flags      known flag → expectedVersion → leaving COMPLETE needs force → a jump over
           stages (forward past one or more) needs force and a reason
percentage 0 to 100, finite (checked before the flag is read)
overrides  known flag → an existing user
rollback   a reason; COMPLETE flags are left as they are
ignores    known flag → a field or a path prefix → a reason
rollouts   a valid config → a passing replay when required → not COMPLETE → no rollout
           RUNNING or PAUSED already → not below what the flag serves, unless allowed
moves      pause RUNNING→PAUSED, resume PAUSED→RUNNING, stop RUNNING|PAUSED→STOPPED
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from jewgo.flags.errors import InvalidChange, PreconditionFailed, UnknownFlag, VersionConflict
from jewgo.flags.rollouts.model import ACTIVE, Rollout, RolloutConfig, RolloutState
from jewgo.flags.snapshot import FlagState
from jewgo.flags.stages import FLAG_NAMES, Stage

MAX_REASON_LENGTH = 1000  # characters of a reason in the audit log
_SHOWN = 100  # characters of an unknown name an error repeats


def check_known(name: str) -> None:
    if name not in FLAG_NAMES:
        shown = name if len(name) <= _SHOWN else name[:_SHOWN] + "…"
        raise UnknownFlag(f"No flag named {shown!r}")


def check_version(state: FlagState, expected_version: int | None) -> None:
    """No lost update: a change made from an older reading of the flag is refused."""
    if expected_version is not None and expected_version != state.version:
        raise VersionConflict(f"{state.name} is at version {state.version}, not {expected_version}")


def skipped(before: Stage, after: Stage) -> tuple[Stage, ...]:
    """The stages a move passes over on the way DISABLED → TESTING → PARTIAL → FULL →
    COMPLETE: none for one stage up, a stay, or any move back toward DISABLED."""
    order = list(Stage)
    return tuple(order[order.index(before) + 1 : order.index(after)])


def check_stage(state: FlagState, stage: Stage, *, force: bool, reason: str | None = None) -> None:
    """COMPLETE is always a human decision, and so is leaving it (SPEC §6); a stage is
    skipped only on purpose, and the audit log says why."""
    if state.stage is Stage.COMPLETE and stage is not Stage.COMPLETE and not force:
        raise InvalidChange(f"{state.name} is COMPLETE; leaving COMPLETE needs force: true")
    jumped = skipped(state.stage, stage)
    if not jumped or (force and reason is not None and reason.strip()):
        return
    jump = (
        f"{state.name} is {state.stage.value}: {stage.value} skips "
        f"{', '.join(s.value for s in jumped)}"
    )
    if force:
        raise InvalidChange(f"{jump}; a forced jump needs a reason for the audit log")
    raise InvalidChange(
        f"{jump}; move one stage at a time, or force the jump with force: true and a reason"
    )


def forced(state: FlagState, stage: Stage, *, force: bool) -> dict[str, Any] | None:
    """What the audit log keeps of a move that only `force` let through (None: any other)."""
    if not force:
        return None
    jumped = skipped(state.stage, stage)
    if jumped:
        return {"forced": True, "skipped": [s.value for s in jumped]}
    if state.stage is Stage.COMPLETE and stage is not Stage.COMPLETE:
        return {"forced": True}
    return None


def check_user(user_id: int, role: str | None) -> None:
    """An override names a user who exists (`role` is None for no such user)."""
    if role is None:
        raise InvalidChange(f"No user with id {user_id}")


def check_percentage(percentage: float) -> None:
    if not (math.isfinite(percentage) and 0 <= percentage <= 100):
        raise InvalidChange("percentage must be from 0 to 100")


def check_reason(reason: str) -> None:
    """A rollback is an incident: the audit log must say why."""
    if not reason.strip():
        raise InvalidChange("a rollback needs a reason")
    check_note(reason)


# A schema field (`Restaurant.website`: a type's name starts upper case) or a response
# path prefix (`restaurants.edges.node`, as `describe` spells a path, without indexes).
_FIELD = re.compile(r"[A-Z][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*")
_PATH = re.compile(r"[a-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
MAX_TARGET_LENGTH = 200


def check_ignore_target(target: str) -> None:
    """What a shadow ignore names: a field, or a path prefix."""
    if len(target) > MAX_TARGET_LENGTH or not (_FIELD.fullmatch(target) or _PATH.fullmatch(target)):
        raise InvalidChange(
            "target must be a schema field such as Restaurant.website or a response path "
            "such as restaurants.edges.node"
        )


def check_ignore_reason(reason: str) -> None:
    """Ignoring a field hides differences: the audit log must say why."""
    if not reason.strip():
        raise InvalidChange("ignoring a field needs a reason")
    check_note(reason)


def check_note(reason: str | None) -> None:
    """Any reason the audit log keeps is bounded."""
    if reason is not None and len(reason) > MAX_REASON_LENGTH:
        raise InvalidChange(f"reason must be at most {MAX_REASON_LENGTH} characters")


def rolls_back(state: FlagState) -> bool:
    """Whether a rollback moves this flag: `rollback` leaves COMPLETE flags alone."""
    return state.stage is not Stage.COMPLETE


def check_config(config: RolloutConfig) -> None:
    problems = config.problems()
    if problems:
        raise InvalidChange(
            "Invalid rollout config: " + "; ".join(f"{k}: {v}" for k, v in problems.items())
        )


def check_replay(
    flag: str, config: RolloutConfig, latest: tuple[datetime, bool] | None, now: datetime,
    max_age: timedelta,
) -> None:  # fmt: skip
    """A rollout that requires a replay starts only after the flag's latest replay (its
    time, whether it passed) passed, no longer ago than `max_age`."""
    if not config.require_replay:
        return
    fix = f"run `jewgo replay --flag {flag}` and fix what differs"
    if latest is None:
        raise PreconditionFailed(f"{flag} has never been replayed; {fix}")
    at, passed = latest
    if not passed:
        raise PreconditionFailed(f"{flag}'s latest replay ({at.isoformat()}) differed; {fix}")
    if now - at > max_age:
        raise PreconditionFailed(f"{flag}'s latest replay ({at.isoformat()}) is too old; {fix}")


def check_start(flag: FlagState, newest: Rollout | None) -> None:
    """A rollout never moves a COMPLETE flag, and a flag has one rollout at a time
    (`newest` is the flag's latest rollout, in whatever state)."""
    if flag.stage is Stage.COMPLETE:
        raise InvalidChange(f"{flag.name} is COMPLETE; a rollout cannot move it")
    if newest is not None and newest.state in ACTIVE:
        raise VersionConflict(f"{flag.name} already has a rollout RUNNING or PAUSED")


def exposure(flag: FlagState) -> float:
    """The percentage of ordinary callers the flag's stage sends to v4 now: none at DISABLED
    and TESTING (staff only), its percentage at PARTIAL, everyone at FULL and COMPLETE."""
    if flag.stage is Stage.PARTIAL:
        return flag.percentage
    return 100.0 if flag.stage in (Stage.FULL, Stage.COMPLETE) else 0.0


def initial_percentage(flag: FlagState, default: float) -> float:
    """Where a rollout of the flag starts when nobody says: where a PARTIAL flag is, so
    that starting with the defaults sends nobody back to v3; else `default` (a FULL flag
    serves everyone, so any start lowers it: `check_lowering` asks for a confirmation)."""
    return flag.percentage if flag.stage is Stage.PARTIAL else default


def check_lowering(flag: FlagState, config: RolloutConfig, *, allow_lowering: bool) -> None:
    """A rollout that starts below what the flag serves sends callers back to v3: only
    when the caller confirms it (allowLowering)."""
    now, start = exposure(flag), config.initial_percentage
    if start >= now or allow_lowering:
        return
    raise InvalidChange(
        f"{flag.name} serves v4 to {now:g}% of callers ({flag.stage.value}); starting at "
        f"{start:g}% sends {now - start:g}% of callers back to v3: start at {now:g}% or "
        "more, or confirm the lowering (allowLowering: true; --lower on the command line)"
    )


def started(flag: str, config: RolloutConfig, *, actor: str, now: datetime) -> Rollout:
    """A new rollout: RUNNING at the initial percentage, its first step one interval away.
    Its id is 0 until the store gives it one."""
    return Rollout(
        id=0,
        flag=flag,
        state=RolloutState.RUNNING,
        current_percentage=config.initial_percentage,
        config=config,
        started_at=now,
        updated_at=now,
        next_step_at=now + timedelta(seconds=config.increment_interval_seconds),
        last_decision=f"rollout started at {config.initial_percentage:g}%",
        started_by=actor,
        version=1,
    )


class Move(StrEnum):
    """What a human may do to a rollout (the CLI's command names)."""

    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"


# Each move: the states it leaves, and the state it leads to.
TRANSITIONS: Mapping[Move, tuple[frozenset[RolloutState], RolloutState]] = {
    Move.PAUSE: (frozenset({RolloutState.RUNNING}), RolloutState.PAUSED),
    Move.RESUME: (frozenset({RolloutState.PAUSED}), RolloutState.RUNNING),
    Move.STOP: (frozenset(ACTIVE), RolloutState.STOPPED),
}


def moved(rollout: Rollout, move: Move, *, actor: str, now: datetime) -> Rollout:
    """The rollout after `move`; BAD_USER_INPUT from a state the move does not leave."""
    allowed, to = TRANSITIONS[move]
    if rollout.state not in allowed:
        raise InvalidChange(f"the rollout of {rollout.flag} is {rollout.state.value}")
    next_step = rollout.next_step_at  # a paused rollout keeps its place
    if to is RolloutState.RUNNING:
        # Resumed, it steps one whole interval from now, as a rollout just started does.
        next_step = now + timedelta(seconds=rollout.config.increment_interval_seconds)
    elif to is not RolloutState.PAUSED:
        next_step = None
    return replace(
        rollout,
        state=to,
        next_step_at=next_step,
        last_decision=f"{to.value.lower()} by {actor}",
        updated_at=now,
        version=rollout.version + 1,
        inconclusive_since=None,  # a person looked: the guards start counting again
    )
