"""`jewgo rollout`: start a gradual rollout, watch it, pause, resume or stop it."""

from __future__ import annotations

from typing import Any

import click

from jewgo.flags.controller import utc_now
from jewgo.flags.rollout_store import RolloutStore
from jewgo.flags.rollouts import ACTIVE, Rollout, RolloutConfig, RolloutState
from jewgo.flags.sync import Flags
from jewgo.gateway.cli.runtime import actor, with_flags


def rollout_store(flags: Flags) -> RolloutStore:
    return RolloutStore(flags.store)


def describe(rollout: Rollout) -> str:
    upcoming = rollout.next_step_at.isoformat(timespec="seconds") if rollout.next_step_at else "-"
    return (
        f"{rollout.flag:<24} {rollout.state.value:<11} {rollout.current_percentage:>6g}%  "
        f"next step {upcoming}\n    {rollout.last_decision or ''}"
    )


@click.group()
def rollout() -> None:
    """Gradual rollouts run by the controller: start, status, pause, resume, stop."""


@rollout.command("start")
@click.argument("name")
@click.option("--initial", "initial_percentage", type=float, default=5.0, show_default=True)
@click.option("--increment", "increment_percentage", type=float, default=10.0, show_default=True)
@click.option("--max", "max_percentage", type=float, default=100.0, show_default=True)
@click.option(
    "--interval",
    "increment_interval_seconds",
    type=int,
    default=86400,
    show_default=True,
    help="Seconds between steps.",
)
@click.option(
    "--window",
    "monitoring_period_seconds",
    type=int,
    default=7200,
    show_default=True,
    help="Seconds of metrics each decision looks at.",
)
@click.option(
    "--rollback-above",
    "auto_rollback_threshold_percent",
    type=float,
    default=5.0,
    show_default=True,
    help="v4 error rate (%) that rolls back.",
)
@click.option("--min-requests", type=int, default=100, show_default=True)
@click.option("--auto-rollback/--no-auto-rollback", "enable_auto_rollback", default=True)
@click.option("--auto-increment/--no-auto-increment", "enable_auto_increment", default=True)
@click.option("--max-latency-ratio", type=float, default=1.5, show_default=True)
@click.option(
    "--max-shadow-mismatch",
    "max_shadow_mismatch_percent",
    type=float,
    default=0.1,
    show_default=True,
)
def rollout_start(name: str, **config: object) -> None:
    """Start a rollout of NAME: PARTIAL at the initial percentage, then step by step."""
    settings = RolloutConfig(**config)  # type: ignore[arg-type]

    async def run(flags: Flags) -> Rollout:
        started = await rollout_store(flags).start(name, settings, actor=actor(), now=utc_now())
        await flags.changed()
        return started

    click.echo(describe(with_flags(run)))


@rollout.command("status")
def rollout_status() -> None:
    """The newest rollout of every flag that has had one."""

    async def run(flags: Flags) -> list[str]:
        return [describe(r) for r in (await rollout_store(flags).current()).values()]

    click.echo("\n".join(with_flags(run)) or "no rollouts")


def _transition_command(allowed: tuple[RolloutState, ...], to: RolloutState) -> Any:
    def command(name: str) -> None:
        async def run(flags: Flags) -> Rollout:
            return await rollout_store(flags).transition(
                name, allowed, to, actor=actor(), now=utc_now()
            )

        click.echo(describe(with_flags(run)))

    return command


rollout.command("pause", help="Hold NAME's rollout where it is.")(
    click.argument("name")(_transition_command((RolloutState.RUNNING,), RolloutState.PAUSED))
)
rollout.command("resume", help="Let NAME's paused rollout go on.")(
    click.argument("name")(_transition_command((RolloutState.PAUSED,), RolloutState.RUNNING))
)
rollout.command("stop", help="End NAME's rollout; the flag stays where it is.")(
    click.argument("name")(_transition_command(ACTIVE, RolloutState.STOPPED))
)
