"""`jewgo rollout`: start a gradual rollout, watch it, pause, resume or stop it.

The options of `start` default to RolloutConfig's defaults, but for the initial percentage:
where the flag is (flags.rules.initial_percentage), so that starting with the defaults sends
nobody back to v3. The moves are those of flags.rules.TRANSITIONS: one command each,
carried out by the admin.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from jewgo.flags import rules
from jewgo.flags.rollouts.model import DEFAULT_CONFIG, Rollout, RolloutConfig, RolloutState
from jewgo.flags.rules import TRANSITIONS, Move
from jewgo.gateway.cli.runtime import actor, with_flags
from jewgo.gateway.wiring.flag_parts import FlagParts

MOVE_HELP = {
    Move.PAUSE: "Hold NAME's rollout where it is.",
    Move.RESUME: "Let NAME's paused rollout go on.",
    Move.STOP: "End NAME's rollout; the flag stays where it is.",
}


def describe(rollout: Rollout) -> str:
    # Only a RUNNING rollout steps: a PAUSED one keeps its place, not a time to show (as
    # the console, which shows "—" for every other state too).
    upcoming = "—"
    if rollout.state is RolloutState.RUNNING and rollout.next_step_at is not None:
        upcoming = rollout.next_step_at.isoformat(timespec="seconds")
    return (
        f"{rollout.flag:<24} {rollout.state.value:<11} {rollout.current_percentage:>6g}%  "
        f"next step {upcoming}\n    {rollout.last_decision or ''}"
    )


@click.group()
def rollout() -> None:
    """Gradual rollouts run by the controller: start, status, pause, resume, stop.

    Changes are audited as `cli:<login>`, or, with JEWGO_TOKEN set to an ADMIN's bearer
    token (`jewgo token --email you@example.com`), as that user (`user:<id>`): the token is
    checked with JWT_SECRET and the users table, and a change is refused when it fails.
    """


_DEFAULT = DEFAULT_CONFIG


@rollout.command("start")
@click.argument("name")
@click.option(
    "--initial",
    "initial_percentage",
    type=float,
    default=None,
    help="Percentage to start at. Default: the flag's current percentage when it is "
    f"PARTIAL; {_DEFAULT.initial_percentage:g} when it is DISABLED or TESTING (no ordinary "
    f"caller on v4 yet) or FULL (everyone on v4, so any start lowers it: see --lower).",
)
@click.option(
    "--lower",
    "allow_lowering",
    is_flag=True,
    default=False,
    help="Start below the percentage the flag serves now (FULL serves 100), which sends "
    "the callers in between back to v3; refused without it.",
)
@click.option(
    "--increment",
    "increment_percentage",
    type=float,
    default=_DEFAULT.increment_percentage,
    show_default=True,
    help="Percentage points added at each step.",
)
@click.option(
    "--max",
    "max_percentage",
    type=float,
    default=_DEFAULT.max_percentage,
    show_default=True,
    help="Percentage the steps stop at (100: the flag goes FULL and the rollout COMPLETED).",
)
@click.option(
    "--interval",
    "increment_interval_seconds",
    type=int,
    default=_DEFAULT.increment_interval_seconds,
    show_default=True,
    help="Seconds between steps.",
)
@click.option(
    "--window",
    "monitoring_period_seconds",
    type=int,
    default=_DEFAULT.monitoring_period_seconds,
    show_default=True,
    help="Seconds of metrics each decision looks at.",
)
@click.option(
    "--rollback-above",
    "auto_rollback_threshold_percent",
    type=float,
    default=_DEFAULT.auto_rollback_threshold_percent,
    show_default=True,
    help="v4 error rate (%) that rolls back.",
)
@click.option(
    "--min-requests",
    type=int,
    default=_DEFAULT.min_requests,
    show_default=True,
    help="v4 calls a window needs before it can step or roll back.",
)
@click.option(
    "--auto-rollback/--no-auto-rollback",
    "enable_auto_rollback",
    default=_DEFAULT.enable_auto_rollback,
    help="Roll back to DISABLED when the v4 error rate passes --rollback-above (on).",
)
@click.option(
    "--auto-increment/--no-auto-increment",
    "enable_auto_increment",
    default=_DEFAULT.enable_auto_increment,
    help="Step up by --increment every --interval while healthy (on).",
)
@click.option(
    "--max-latency-ratio",
    type=float,
    default=_DEFAULT.max_latency_ratio,
    show_default=True,
    help="No step while v4's p95 latency exceeds this multiple of v3's.",
)
@click.option(
    "--max-shadow-mismatch",
    "max_shadow_mismatch_percent",
    type=float,
    default=_DEFAULT.max_shadow_mismatch_percent,
    show_default=True,
    help="No step while more shadow comparisons than this (%) differ.",
)
@click.option(
    "--max-caller-share",
    "max_caller_share_percent",
    type=float,
    default=_DEFAULT.max_caller_share_percent,
    show_default=True,
    help="Most any one caller weighs in the error rate (%).",
)
@click.option(
    "--min-error-callers",
    type=int,
    default=_DEFAULT.min_error_callers,
    show_default=True,
    help="Distinct callers with v4 errors a rollback needs.",
)
@click.option(
    "--pause-at",
    type=float,
    multiple=True,
    default=_DEFAULT.pause_at,
    help="A percentage at which the rollout pauses for a person (repeatable).",
)
@click.option(
    "--max-inconclusive-windows",
    type=int,
    default=_DEFAULT.max_inconclusive_windows,
    show_default=True,
    help="Inconclusive windows in a row before pausing (0: hold forever).",
)
@click.option(
    "--require-v3-baseline/--no-require-v3-baseline",
    default=_DEFAULT.require_v3_baseline,
    help="A window without v3 calls is inconclusive.",
)
@click.option(
    "--require-replay/--no-require-replay",
    default=_DEFAULT.require_replay,
    show_default=True,
    help="Start only after a passing `jewgo replay` of NAME.",
)
def rollout_start(
    name: str, initial_percentage: float | None, allow_lowering: bool, **config: object
) -> None:
    """Start a rollout of NAME: PARTIAL at the initial percentage, then step by step."""
    gates = config.pop("pause_at")
    assert isinstance(gates, tuple)

    async def run(services: FlagParts) -> Rollout:
        initial = initial_percentage
        if initial is None:  # where the flag is, as just loaded (an unknown one: the admin's)
            flag = services.flags.snapshot.flags.get(name)
            initial = _DEFAULT.initial_percentage
            if flag is not None:
                initial = rules.initial_percentage(flag, initial)
        settings = RolloutConfig(
            **config,  # type: ignore[arg-type]
            initial_percentage=initial,
            pause_at=tuple(sorted(set(gates))),
        )
        return await services.admin.start_rollout(
            name, settings, actor=actor(), allow_lowering=allow_lowering
        )

    click.echo(describe(with_flags(run)))


@rollout.command("status")
def rollout_status() -> None:
    """The newest rollout of every flag that has had one."""

    async def run(services: FlagParts) -> list[str]:
        return [describe(r) for r in (await services.admin.rollouts()).values()]

    click.echo("\n".join(with_flags(run)) or "no rollouts")


def _move_command(move: Move) -> Callable[[str], None]:
    def command(name: str) -> None:
        moved = with_flags(lambda services: services.admin.move_rollout(name, move, actor=actor()))
        click.echo(describe(moved))

    return command


for _move in TRANSITIONS:
    rollout.command(_move.value, help=MOVE_HELP[_move])(
        click.argument("name")(_move_command(_move))
    )
