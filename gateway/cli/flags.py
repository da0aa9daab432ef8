"""`jewgo flags`: list the flags, change stages, percentages and overrides, roll back.

Every change goes through the admin (flags.admin.changes), under the same rules as GraphQL's
mutations, and the admin announces it to the fleet.
"""

from __future__ import annotations

import click

from jewgo.flags import rules, summary
from jewgo.flags.errors import FlagError
from jewgo.flags.snapshot import FlagState
from jewgo.flags.stages import FLAG_NAMES, Stage
from jewgo.gateway.cli.runtime import actor, code_of, with_flags
from jewgo.gateway.wiring.flag_parts import FlagParts


class Stages(click.Choice[str]):
    """The stages, shown in upper case as everywhere else, given in any case."""

    def __init__(self) -> None:
        super().__init__([s.value for s in Stage])

    def normalize_choice(self, choice: object, ctx: click.Context | None) -> str:
        return super().normalize_choice(choice, ctx).upper()


REASON = "Why, for the audit log (at most 1000 characters)."
EXPECTED = (
    "The flag's version as you last saw it (`jewgo flags list`): refused with CONFLICT "
    "if somebody changed it since."
)


def describe(state: FlagState) -> str:
    return (
        f"{state.name:<24} {state.stage.value:<9} {state.percentage:>6g}%  "
        f"v{state.version:<4} {state.updated_by or ''}"
    )


@click.group()
def flags() -> None:
    """Feature flags: list them, change stages and percentages, overrides, roll back.

    Changes are audited as `cli:<login>`, or, with JEWGO_TOKEN set to an ADMIN's bearer
    token (`jewgo token --email you@example.com`), as that user (`user:<id>`): the token is
    checked with JWT_SECRET and the users table, and a change is refused when it fails.
    """


@flags.command("list")
def flags_list() -> None:
    """Every flag with its stage, percentage, version and overrides."""

    async def run(services: FlagParts) -> list[str]:
        snapshot = services.flags.snapshot
        lines = [f"{'flag':<24} {'stage':<9} {'rollout':>7}  version by"]
        for name in FLAG_NAMES:
            line = describe(snapshot.flags[name])
            overrides = snapshot.overrides.get(name, {})
            if overrides:
                line += f"  overrides: {len(overrides)}"
            env = snapshot.env.get(name)
            if env is not None:
                line += f"  env: {env.describe(name)}"
            lines.append(line)
        lines.append(
            f"migration: {summary.migration_percentage(snapshot):g}% of domain traffic on v4"
        )
        return lines

    click.echo("\n".join(with_flags(run)))


@flags.command("stage")
@click.argument("name")
@click.argument("stage", type=Stages())
@click.option("--reason", default=None, help=REASON)
@click.option(
    "--force",
    is_flag=True,
    help="Needed to leave COMPLETE, and (with --reason) to skip a stage on the way up.",
)
@click.option("--expected-version", type=int, default=None, help=EXPECTED)
def flags_stage(
    name: str, stage: str, reason: str | None, force: bool, expected_version: int | None
) -> None:
    """Move NAME to STAGE (DISABLED, TESTING, PARTIAL, FULL, COMPLETE).

    Up one stage at a time: a jump (TESTING to COMPLETE, say) needs --force and a
    --reason, and the audit log keeps it as forced. Back toward DISABLED is free, but
    leaving COMPLETE needs --force.
    """
    state = with_flags(
        lambda services: services.admin.set_stage(
            name,
            Stage(stage),
            actor=actor(),
            reason=reason,
            force=force,
            expected_version=expected_version,
        )
    )
    click.echo(describe(state))


@flags.command("percentage")
@click.argument("name")
@click.argument("percentage", type=float)
@click.option("--reason", default=None, help=REASON)
@click.option("--expected-version", type=int, default=None, help=EXPECTED)
def flags_percentage(
    name: str, percentage: float, reason: str | None, expected_version: int | None
) -> None:
    """Set the PARTIAL rollout percentage of NAME (0 to 100)."""
    state = with_flags(
        lambda services: services.admin.set_percentage(
            name,
            percentage,
            actor=actor(),
            reason=reason,
            expected_version=expected_version,
        )
    )
    click.echo(describe(state))


@flags.command("override")
@click.argument("name")
@click.argument("user_id", type=click.IntRange(min=1))
@click.argument("setting", type=click.Choice(["on", "off", "clear"]))
def flags_override(name: str, user_id: int, setting: str) -> None:
    """Send USER_ID to v4 (on) or v3 (off) for NAME, or remove the override (clear)."""
    enabled = {"on": True, "off": False, "clear": None}[setting]
    state = with_flags(
        lambda services: services.admin.set_user_override(name, user_id, enabled, actor=actor())
    )
    click.echo(describe(state))


@flags.command("rollback")
@click.argument("name", required=False)
@click.option("--reason", required=True, help="Why, for the audit log: a rollback is an incident.")
def flags_rollback(name: str | None, reason: str) -> None:
    """Back to v3: NAME, or every flag, to DISABLED at 0 % (COMPLETE ones stay)."""
    try:
        rules.check_reason(reason)  # the admin checks it too; this refuses before connecting
    except FlagError as exc:
        raise click.ClickException(f"{code_of(exc)}: {exc.message}") from exc
    states = with_flags(
        lambda services: services.admin.rollback(name, actor=actor(), reason=reason)
    )
    click.echo("\n".join(describe(s) for s in states) or "nothing to roll back")
