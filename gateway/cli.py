"""The `jewgo` command line."""

from __future__ import annotations

import asyncio
import atexit
import getpass
import os
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db import migrate, seed
from jewgo.db.engine import create_engine
from jewgo.db.models import UserRow
from jewgo.flags import env as flag_env
from jewgo.flags import summary
from jewgo.flags.controller import utc_now
from jewgo.flags.errors import FlagError
from jewgo.flags.rollout_store import RolloutStore
from jewgo.flags.rollouts import ACTIVE, Rollout, RolloutConfig, RolloutState
from jewgo.flags.snapshot import FlagState
from jewgo.flags.stages import FLAG_NAMES, Stage
from jewgo.flags.store import FlagStore
from jewgo.flags.sync import Flags
from jewgo.gateway.auth import MissingSecret, Tokens, resolve_secret
from jewgo.gateway.logs import configure
from jewgo.gateway.settings import Settings
from jewgo.gateway.wiring import create_redis

T = TypeVar("T")
log = structlog.get_logger("jewgo.cli")


def _settings() -> Settings:
    try:
        settings = Settings()
    except ValueError as exc:
        raise click.ClickException(f"invalid settings: {exc}") from exc
    configure(settings.log_level, settings.log_format)
    return settings


def _with_engine(settings: Settings, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_engine(settings.database)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


async def prepare_database(settings: Settings, engine: AsyncEngine) -> None:
    """Migrate; on the embedded database also seed it when it is empty (first start)."""
    await migrate.upgrade(engine)
    if settings.embedded and await seed.is_empty(engine):
        data = await seed.load(engine, settings.seed_scale)
        log.info(
            "seeded the embedded database",
            restaurants=len(data.restaurants),
            reviews=len(data.reviews),
            users=len(data.users),
        )


@click.group()
def main() -> None:
    """JewGo gateway: the GraphQL API of the kosher-restaurant directory."""


@main.command()
@click.option("--host", default=None, help="Interface to bind (default: HOST or 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default: PORT or 8000).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--migrate/--no-migrate",
    default=True,
    show_default=True,
    help="Bring the database to the newest schema first.",
)
def serve(host: str | None, port: int | None, workers: int, migrate: bool) -> None:
    """Serve GraphQL on /graphql (GraphiQL in a browser), /health, /ready."""
    import uvicorn

    settings = _settings()
    # Refuse here, once, what every worker would refuse again and again.
    try:
        flag_env.parse(os.environ)
        resolve_secret(settings)
    except (flag_env.FlagEnvironmentError, MissingSecret) as exc:
        raise click.ClickException(str(exc)) from exc
    if migrate:
        _with_engine(settings, lambda engine: prepare_database(settings, engine))
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Every worker writes its Prometheus samples here, and /metrics adds them up.
        metrics_dir = tempfile.mkdtemp(prefix="jewgo-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        atexit.register(shutil.rmtree, metrics_dir, ignore_errors=True)
    uvicorn.run(
        "jewgo.gateway.app:app_from_environment",
        factory=True,
        host=host or settings.host,
        port=port if port is not None else settings.port,
        workers=workers,
        log_config=None,
        access_log=False,
        lifespan="on",
    )


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    settings = _settings()
    _with_engine(settings, migrate.upgrade)
    click.echo("database is at the newest migration")


@main.command("seed")
@click.option(
    "--scale",
    default=1,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Multiply restaurants, users and reviews.",
)
@click.option("--if-empty", is_flag=True, help="Do nothing when the directory has users.")
def seed_command(scale: int, if_empty: bool) -> None:
    """Replace the directory's rows with the deterministic seed data (migrates first)."""
    settings = _settings()

    async def run(engine: AsyncEngine) -> str:
        await migrate.upgrade(engine)
        if if_empty and not await seed.is_empty(engine):
            return "the directory is not empty; nothing seeded"
        data = await seed.load(engine, scale)
        return (
            f"seeded {len(data.restaurants)} restaurants, {len(data.reviews)} reviews, "
            f"{len(data.users)} users (scale {scale})"
        )

    click.echo(_with_engine(settings, run))


@main.command()
@click.option("--email", required=True, help="The user's email address.")
def token(email: str) -> None:
    """Print a JWT for the user with this email (e.g. admin@example.com)."""
    settings = _settings()

    async def find(engine: AsyncEngine) -> int | None:
        async with engine.connect() as connection:
            result = await connection.execute(
                select(UserRow.id).where(UserRow.email == email.strip().lower())
            )
            return result.scalar_one_or_none()

    user_id = _with_engine(settings, find)
    if user_id is None:
        raise click.ClickException(f"no user with email {email}")
    try:
        secret = resolve_secret(settings)
    except MissingSecret as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(Tokens(secret, settings.jwt_ttl_seconds).issue(user_id))


def _flag_actor() -> str:
    return f"cli:{getpass.getuser()}"


def _with_flags(work: Callable[[Flags], Awaitable[T]]) -> T:
    """Runs `work` against the flag store, announcing changes to the fleet over Redis."""
    settings = _settings()

    async def run() -> T:
        engine = create_engine(settings.database)
        redis = create_redis(settings)
        flags = Flags(
            FlagStore(engine, flag_env.parse(os.environ)),
            redis=redis,
            channel=f"{settings.redis_namespace}:flags",
        )
        try:
            await flags.load()
            return await work(flags)
        except FlagError as exc:
            raise click.ClickException(f"{exc.code}: {exc.message}") from exc
        finally:
            if redis is not None:
                await redis.aclose()
            await engine.dispose()

    return asyncio.run(run())


def _describe(state: FlagState) -> str:
    return (
        f"{state.name:<24} {state.stage.value:<9} {state.percentage:>6g}%  "
        f"v{state.version:<4} {state.updated_by or ''}"
    )


@main.group()
def flags() -> None:
    """Feature flags: list them, change stages and percentages, overrides, roll back."""


@flags.command("list")
def flags_list() -> None:
    """Every flag with its stage, percentage, version and overrides."""

    async def run(flags: Flags) -> list[str]:
        snapshot = flags.snapshot
        lines = [f"{'flag':<24} {'stage':<9} {'rollout':>7}  version by"]
        for name in FLAG_NAMES:
            line = _describe(snapshot.flags[name])
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

    click.echo("\n".join(_with_flags(run)))


@flags.command("stage")
@click.argument("name")
@click.argument("stage", type=click.Choice([s.value for s in Stage], case_sensitive=False))
@click.option("--reason", default=None)
@click.option("--force", is_flag=True, help="Needed to leave COMPLETE.")
@click.option("--expected-version", type=int, default=None)
def flags_stage(
    name: str, stage: str, reason: str | None, force: bool, expected_version: int | None
) -> None:
    """Move NAME to STAGE (DISABLED, TESTING, PARTIAL, FULL, COMPLETE)."""
    state = _with_flags(
        lambda flags: flags.set_stage(
            name,
            Stage(stage.upper()),
            actor=_flag_actor(),
            reason=reason,
            force=force,
            expected_version=expected_version,
        )
    )
    click.echo(_describe(state))


@flags.command("percentage")
@click.argument("name")
@click.argument("percentage", type=float)
@click.option("--reason", default=None)
@click.option("--expected-version", type=int, default=None)
def flags_percentage(
    name: str, percentage: float, reason: str | None, expected_version: int | None
) -> None:
    """Set the PARTIAL rollout percentage of NAME (0 to 100)."""
    state = _with_flags(
        lambda flags: flags.set_percentage(
            name,
            percentage,
            actor=_flag_actor(),
            reason=reason,
            expected_version=expected_version,
        )
    )
    click.echo(_describe(state))


@flags.command("override")
@click.argument("name")
@click.argument("user_id", type=click.IntRange(min=1))
@click.argument("setting", type=click.Choice(["on", "off", "clear"]))
def flags_override(name: str, user_id: int, setting: str) -> None:
    """Send USER_ID to v4 (on) or v3 (off) for NAME, or remove the override (clear)."""
    enabled = {"on": True, "off": False, "clear": None}[setting]
    state = _with_flags(
        lambda flags: flags.set_user_override(name, user_id, enabled, actor=_flag_actor())
    )
    click.echo(_describe(state))


@flags.command("rollback")
@click.argument("name", required=False)
@click.option("--reason", required=True)
def flags_rollback(name: str | None, reason: str) -> None:
    """Back to v3: NAME, or every flag, to DISABLED at 0 % (COMPLETE ones stay)."""
    if not reason.strip():
        raise click.ClickException("BAD_USER_INPUT: a rollback needs a reason")
    states = _with_flags(lambda flags: flags.rollback(name, actor=_flag_actor(), reason=reason))
    click.echo("\n".join(_describe(s) for s in states) or "nothing to roll back")


def _rollout_store(flags: Flags) -> RolloutStore:
    return RolloutStore(flags.store)


def _describe_rollout(rollout: Rollout) -> str:
    upcoming = rollout.next_step_at.isoformat(timespec="seconds") if rollout.next_step_at else "-"
    return (
        f"{rollout.flag:<24} {rollout.state.value:<11} {rollout.current_percentage:>6g}%  "
        f"next step {upcoming}\n    {rollout.last_decision or ''}"
    )


@main.group()
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
        started = await _rollout_store(flags).start(
            name, settings, actor=_flag_actor(), now=utc_now()
        )
        await flags.changed()
        return started

    click.echo(_describe_rollout(_with_flags(run)))


@rollout.command("status")
def rollout_status() -> None:
    """The newest rollout of every flag that has had one."""

    async def run(flags: Flags) -> list[str]:
        return [_describe_rollout(r) for r in (await _rollout_store(flags).current()).values()]

    click.echo("\n".join(_with_flags(run)) or "no rollouts")


def _transition_command(allowed: tuple[RolloutState, ...], to: RolloutState) -> Any:
    def command(name: str) -> None:
        async def run(flags: Flags) -> Rollout:
            return await _rollout_store(flags).transition(
                name, allowed, to, actor=_flag_actor(), now=utc_now()
            )

        click.echo(_describe_rollout(_with_flags(run)))

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


@main.group()
def schema() -> None:
    """The GraphQL schema."""


@schema.command("export")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None)
def schema_export(output: Path | None) -> None:
    """Print (or write) the schema in SDL."""
    from jewgo.schema import schema as graphql_schema

    sdl = graphql_schema.as_str() + "\n"
    if output is None:
        sys.stdout.write(sdl)
    else:
        output.write_text(sdl)
