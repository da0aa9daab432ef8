"""The rules of a change, as tables: what the admin lets through and what it refuses."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from jewgo.flags import rules
from jewgo.flags.errors import (
    FlagError,
    InvalidChange,
    PreconditionFailed,
    UnknownFlag,
    VersionConflict,
)
from jewgo.flags.rollouts.model import DEFAULT_CONFIG, Rollout, RolloutConfig, RolloutState
from jewgo.flags.rules import TRANSITIONS, Move
from jewgo.flags.snapshot import FlagState
from jewgo.flags.stages import FLAG_NAMES, Stage

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
FLAG = FlagState("api_v4_reviews", "d", Stage.PARTIAL, 20.0, 7, NOW, "user:1")
CONFIG = RolloutConfig(initial_percentage=20, increment_interval_seconds=60)
NEXT = NOW + timedelta(minutes=3)
ROLLOUT = Rollout(
    id=4, flag="api_v4_reviews", state=RolloutState.RUNNING, current_percentage=20.0,
    config=CONFIG, started_at=NOW - timedelta(hours=1), updated_at=NOW - timedelta(minutes=1),
    next_step_at=NEXT, last_decision="advanced", started_by="user:1", version=3,
)  # fmt: skip
R, P, S = RolloutState.RUNNING, RolloutState.PAUSED, RolloutState.STOPPED
C, B = RolloutState.COMPLETED, RolloutState.ROLLED_BACK


def refusal(check: object, *args: object, **kwargs: object) -> type[FlagError] | None:
    assert callable(check)
    try:
        check(*args, **kwargs)
    except FlagError as exc:
        return type(exc)
    return None


@pytest.mark.parametrize("name", FLAG_NAMES)
def test_every_flag_is_known(name: str) -> None:
    assert refusal(rules.check_known, name) is None


@pytest.mark.parametrize("name", ["api_v5", "", "API_V4_ENABLED", "api_v4_enabled "])
def test_any_other_name_is_not_found(name: str) -> None:
    assert refusal(rules.check_known, name) is UnknownFlag


def test_an_unknown_name_is_repeated_only_in_part() -> None:
    with pytest.raises(UnknownFlag) as caught:
        rules.check_known("x" * 900_000)
    assert str(caught.value) == f"No flag named {'x' * 100 + '…'!r}"


@pytest.mark.parametrize(
    ("reason", "error"),
    [(None, None), ("", None), ("x" * 1000, None), ("x" * 1001, InvalidChange)],
)
def test_any_reason_the_audit_log_keeps_is_bounded(
    reason: str | None, error: type[FlagError] | None
) -> None:
    assert refusal(rules.check_note, reason) is error


@pytest.mark.parametrize(
    ("expected", "error"), [(None, None), (7, None), (6, VersionConflict), (8, VersionConflict)]
)
def test_expected_version(expected: int | None, error: type[FlagError] | None) -> None:
    assert refusal(rules.check_version, FLAG, expected) is error


D, T, PA, F, CO = Stage.DISABLED, Stage.TESTING, Stage.PARTIAL, Stage.FULL, Stage.COMPLETE
# Every forward move and the stages it passes over; any other move (a stay, or a move back
# toward DISABLED) skips nothing.
JUMPS = {
    (D, T): (), (D, PA): (T,), (D, F): (T, PA), (D, CO): (T, PA, F),
    (T, PA): (), (T, F): (PA,), (T, CO): (PA, F),
    (PA, F): (), (PA, CO): (F,),
    (F, CO): (),
}  # fmt: skip


@pytest.mark.parametrize(("before", "after"), [(b, a) for b in Stage for a in Stage])
def test_which_moves_are_jumps(before: Stage, after: Stage) -> None:
    assert rules.skipped(before, after) == JUMPS.get((before, after), ())


# Leaving COMPLETE needs force; a jump over stages needs force and a reason; every other
# move of stage (one stage up, or back toward DISABLED) is free.
@pytest.mark.parametrize(
    ("before", "after", "force", "reason", "error"),
    [(b, a, force, reason,
      InvalidChange if (b is CO and a is not b and not force)
      or (JUMPS.get((b, a)) and not (force and reason)) else None)
     for b in Stage for a in Stage for force in (False, True) for reason in (None, "", "why")],
)  # fmt: skip
def test_stages(
    before: Stage, after: Stage, force: bool, reason: str | None, error: type[FlagError] | None
) -> None:
    state = replace(FLAG, stage=before)
    assert refusal(rules.check_stage, state, after, force=force, reason=reason) is error


@pytest.mark.parametrize(
    ("force", "reason", "message"),
    [(False, "why", "api_v4_reviews is TESTING: COMPLETE skips PARTIAL, FULL; move one stage "
      "at a time, or force the jump with force: true and a reason"),
     (True, " ", "api_v4_reviews is TESTING: COMPLETE skips PARTIAL, FULL; a forced jump needs "
      "a reason for the audit log")],
)  # fmt: skip
def test_a_jump_names_the_stages_it_skips_and_how_to_force_it(
    force: bool, reason: str, message: str
) -> None:
    with pytest.raises(InvalidChange) as caught:
        rules.check_stage(replace(FLAG, stage=T), CO, force=force, reason=reason)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("before", "after", "force", "details"),
    [(T, CO, True, {"forced": True, "skipped": ["PARTIAL", "FULL"]}),
     (CO, F, True, {"forced": True}), (CO, D, True, {"forced": True}),
     (T, PA, True, None), (F, T, True, None), (D, D, True, None), (CO, CO, True, None),
     (T, CO, False, None)],
)  # fmt: skip
def test_what_the_audit_log_keeps_of_a_forced_move(
    before: Stage, after: Stage, force: bool, details: dict[str, object] | None
) -> None:
    assert rules.forced(replace(FLAG, stage=before), after, force=force) == details


@pytest.mark.parametrize(
    ("percentage", "error"),
    [(0, None), (0.01, None), (50, None), (100, None), (-0.01, InvalidChange),
     (100.01, InvalidChange), (float("nan"), InvalidChange), (float("inf"), InvalidChange),
     (float("-inf"), InvalidChange)],
)  # fmt: skip
def test_percentages(percentage: float, error: type[FlagError] | None) -> None:
    assert refusal(rules.check_percentage, percentage) is error


@pytest.mark.parametrize(
    ("role", "error"), [("USER", None), ("ADMIN", None), (None, InvalidChange)]
)
def test_an_override_needs_an_existing_user(role: str | None, error: type[FlagError]) -> None:
    assert refusal(rules.check_user, 17, role) is error


def test_an_unknown_user_is_named() -> None:
    with pytest.raises(InvalidChange, match=r"^No user with id 17$"):
        rules.check_user(17, None)


@pytest.mark.parametrize(
    ("reason", "error"),
    [("", InvalidChange), ("  \t", InvalidChange), ("error spike", None),
     ("x" * rules.MAX_REASON_LENGTH, None), ("x" * (rules.MAX_REASON_LENGTH + 1), InvalidChange)],
)  # fmt: skip
def test_a_rollback_needs_a_reason(reason: str, error: type[FlagError] | None) -> None:
    assert refusal(rules.check_reason, reason) is error


@pytest.mark.parametrize(("stage", "moves"), [(s, s is not Stage.COMPLETE) for s in Stage])
def test_a_rollback_leaves_complete_flags_alone(stage: Stage, moves: bool) -> None:
    assert rules.rolls_back(replace(FLAG, stage=stage)) is moves


@pytest.mark.parametrize(
    ("config", "error"),
    [(DEFAULT_CONFIG, None), (CONFIG, None),
     (replace(CONFIG, increment_percentage=0), InvalidChange),
     (replace(CONFIG, initial_percentage=60, max_percentage=50), InvalidChange)],
)  # fmt: skip
def test_rollout_configs(config: RolloutConfig, error: type[FlagError] | None) -> None:
    assert refusal(rules.check_config, config) is error


def test_an_invalid_config_names_each_field() -> None:
    with pytest.raises(InvalidChange) as caught:
        rules.check_config(RolloutConfig(initial_percentage=120, min_requests=-1))
    assert caught.value.message == (
        "Invalid rollout config: initialPercentage: must not exceed maxPercentage; "
        "minRequests: must not be negative"
    )


# A rollout starts unless its flag is COMPLETE or it already has one RUNNING or PAUSED.
@pytest.mark.parametrize(
    ("stage", "newest", "error"),
    [(s, n, InvalidChange if s is Stage.COMPLETE else
      VersionConflict if n in (R, P) else None)
     for s in Stage for n in (None, R, P, S, C, B)],
)  # fmt: skip
def test_starting_a_rollout(
    stage: Stage, newest: RolloutState | None, error: type[FlagError] | None
) -> None:
    rollout = replace(ROLLOUT, state=newest) if newest is not None else None
    assert refusal(rules.check_start, replace(FLAG, stage=stage), rollout) is error


# What a flag serves ordinary callers on v4 now (TESTING: staff only, no share of callers),
# and where a rollout of it starts when nobody says: where it is when PARTIAL, else the
# default (a FULL flag serves everyone: any start lowers it, so it is the lowering rule's).
@pytest.mark.parametrize(
    ("stage", "exposure", "initial"),
    [(D, 0.0, 5.0), (T, 0.0, 5.0), (PA, 25.0, 25.0), (F, 100.0, 5.0), (CO, 100.0, 5.0)],
)
def test_what_a_flag_serves_and_where_a_rollout_of_it_starts(
    stage: Stage, exposure: float, initial: float
) -> None:
    flag = replace(FLAG, stage=stage, percentage=25.0)
    assert rules.exposure(flag) == exposure
    assert rules.initial_percentage(flag, DEFAULT_CONFIG.initial_percentage) == initial


# A rollout starts below what the flag serves only when the caller says so.
@pytest.mark.parametrize(
    ("stage", "initial", "allow", "error"),
    [(PA, 25, False, None), (PA, 30, False, None), (PA, 24.99, False, InvalidChange),
     (PA, 5, False, InvalidChange), (PA, 5, True, None), (PA, 0, True, None),
     (F, 100, False, None), (F, 5, False, InvalidChange), (F, 5, True, None),
     (D, 0, False, None), (D, 5, False, None), (T, 5, False, None)],
)  # fmt: skip
def test_starting_a_rollout_below_what_the_flag_serves(
    stage: Stage, initial: float, allow: bool, error: type[FlagError] | None
) -> None:
    flag = replace(FLAG, stage=stage, percentage=25.0)
    config = replace(CONFIG, initial_percentage=initial)
    assert refusal(rules.check_lowering, flag, config, allow_lowering=allow) is error


def test_a_lowering_start_says_how_many_callers_go_back_to_v3() -> None:
    with pytest.raises(InvalidChange) as caught:
        rules.check_lowering(
            replace(FLAG, percentage=25.0), replace(CONFIG, initial_percentage=5),
            allow_lowering=False,
        )  # fmt: skip
    assert caught.value.message == (
        "api_v4_reviews serves v4 to 25% of callers (PARTIAL); starting at 5% sends 20% of "
        "callers back to v3: start at 25% or more, or confirm the lowering (allowLowering: "
        "true; --lower on the command line)"
    )


def test_a_started_rollout_runs_from_the_initial_percentage() -> None:
    started = rules.started("api_v4_users", CONFIG, actor="user:1", now=NOW)
    assert started == Rollout(
        id=0, flag="api_v4_users", state=R, current_percentage=20.0, config=CONFIG,
        started_at=NOW, updated_at=NOW, next_step_at=NOW + timedelta(seconds=60),
        last_decision="rollout started at 20%", started_by="user:1", version=1,
    )  # fmt: skip


# The transition table, whole: every move from every state.
@pytest.mark.parametrize(
    ("move", "before", "after"),
    [(Move.PAUSE, R, P), (Move.PAUSE, P, None), (Move.PAUSE, S, None), (Move.PAUSE, C, None),
     (Move.PAUSE, B, None),
     (Move.RESUME, P, R), (Move.RESUME, R, None), (Move.RESUME, S, None), (Move.RESUME, C, None),
     (Move.RESUME, B, None),
     (Move.STOP, R, S), (Move.STOP, P, S), (Move.STOP, S, None), (Move.STOP, C, None),
     (Move.STOP, B, None)],
)  # fmt: skip
def test_moves(move: Move, before: RolloutState, after: RolloutState | None) -> None:
    rollout = replace(ROLLOUT, state=before)
    if after is None:
        with pytest.raises(InvalidChange, match=f"the rollout of api_v4_reviews is {before}"):
            rules.moved(rollout, move, actor="user:2", now=NOW)
        return
    done = rules.moved(rollout, move, actor="user:2", now=NOW)
    assert (done.state, done.last_decision) == (after, f"{after.value.lower()} by user:2")
    assert (done.updated_at, done.version) == (NOW, rollout.version + 1)
    assert (done.current_percentage, done.config, done.id) == (20.0, CONFIG, 4)


def test_the_table_covers_every_move() -> None:
    assert set(TRANSITIONS) == set(Move)


@pytest.mark.parametrize(
    ("move", "before", "next_step"),
    [(Move.PAUSE, R, NEXT), (Move.RESUME, P, NOW + timedelta(seconds=60)),
     (Move.STOP, R, None), (Move.STOP, P, None)],
)  # fmt: skip
def test_where_a_move_leaves_the_next_step(
    move: Move, before: RolloutState, next_step: datetime | None
) -> None:
    rollout = replace(ROLLOUT, state=before)
    assert rules.moved(rollout, move, actor="a", now=NOW).next_step_at == next_step


@pytest.mark.parametrize(
    ("target", "error"),
    [("Restaurant.website", None), ("restaurants.edges.node", None), ("statistics", None),
     ("Restaurant", InvalidChange), ("Restaurant.", InvalidChange), ("a..b", InvalidChange),
     ("restaurants.edges.0", InvalidChange), ("", InvalidChange), ("x" * 201, InvalidChange)],
)  # fmt: skip
def test_a_shadow_ignore_names_a_field_or_a_path(
    target: str, error: type[FlagError] | None
) -> None:
    assert refusal(rules.check_ignore_target, target) is error


@pytest.mark.parametrize(
    ("reason", "error"), [("by design", None), (" ", InvalidChange), ("x" * 1001, InvalidChange)]
)
def test_a_shadow_ignore_needs_a_reason(reason: str, error: type[FlagError] | None) -> None:
    assert refusal(rules.check_ignore_reason, reason) is error


REPLAY_AGE = timedelta(days=1)


@pytest.mark.parametrize(
    ("required", "latest", "error"),
    [
        (False, None, None),
        (True, None, PreconditionFailed),
        (True, (NOW - timedelta(hours=2), True), None),
        (True, (NOW - timedelta(hours=2), False), PreconditionFailed),
        (True, (NOW - timedelta(days=2), True), PreconditionFailed),
    ],
)
def test_a_rollout_may_require_a_recent_passing_replay(
    required: bool, latest: tuple[datetime, bool] | None, error: type[FlagError] | None
) -> None:
    config = replace(CONFIG, require_replay=required)
    found = refusal(rules.check_replay, "api_v4_reviews", config, latest, NOW, REPLAY_AGE)
    assert found is error
