"""The data commands: `db upgrade`, `seed`, `token` and `schema export`.

They need a database and no more (or, for the schema, nothing at all): each runs on an
engine of its own, even before the first migration.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db import migrate, seed
from jewgo.db.models import UserRow
from jewgo.gateway.cli.failures import write
from jewgo.gateway.cli.runtime import settings as read_settings
from jewgo.gateway.cli.runtime import with_engine
from jewgo.gateway.request.auth import MissingSecret, Tokens, resolve_secret


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    settings = read_settings()
    with_engine(settings, migrate.upgrade)
    click.echo("database is at the newest migration")


@click.command("seed")
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
    settings = read_settings()

    async def run(engine: AsyncEngine) -> str:
        await migrate.upgrade(engine)
        if if_empty and not await seed.is_empty(engine):
            return "the directory is not empty; nothing seeded"
        data = await seed.load(engine, scale)
        return (
            f"seeded {len(data.restaurants)} restaurants, {len(data.reviews)} reviews, "
            f"{len(data.users)} users (scale {scale})"
        )

    click.echo(with_engine(settings, run))


@click.command()
@click.option("--email", required=True, help="The user's email address.")
def token(email: str) -> None:
    """Print a JWT for the user with this email (e.g. admin@example.com)."""
    settings = read_settings()

    async def find(engine: AsyncEngine) -> int | None:
        async with engine.connect() as connection:
            result = await connection.execute(
                select(UserRow.id).where(UserRow.email == email.strip().lower())
            )
            return result.scalar_one_or_none()

    user_id = with_engine(settings, find, existing=True)
    if user_id is None:
        raise click.ClickException(f"no user with email {email}")
    try:
        secret = resolve_secret(settings)
    except MissingSecret as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(Tokens(secret, settings.jwt_ttl_seconds).issue(user_id))


@click.group()
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
        write(output, sdl)
