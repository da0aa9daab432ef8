"""What the commands share: settings from the environment, and running async work with an
engine (the data commands) or with the gateway's services (the flag commands)."""

from __future__ import annotations

import asyncio
import getpass
import os
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import click
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.engine import create_engine
from jewgo.flags.errors import FlagError
from jewgo.flags.sync import Flags
from jewgo.gateway import flag_wiring
from jewgo.gateway.cli.failures import database_errors, existing_database
from jewgo.gateway.flag_wiring import FlagParts
from jewgo.gateway.logs import configure
from jewgo.gateway.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:  # the whole app: imported by the commands that need it, when they run
    from jewgo.gateway.wiring import Services

T = TypeVar("T")


def settings() -> Settings:
    try:
        found = load_settings()
    except SettingsError as exc:  # names each setting and its rule, never a value
        raise click.ClickException(f"invalid settings: {exc}") from None
    configure(found.log_level, found.log_format)
    return found


def actor() -> str:
    """Who the audit log says made a change from this shell."""
    return f"cli:{getpass.getuser()}"


def with_engine(
    found: Settings, work: Callable[[AsyncEngine], Awaitable[T]], *, existing: bool = False
) -> T:
    """`work` with an engine of its own; for the commands that need a database and no more
    (they run on a database not migrated yet, where the flags cannot load). `existing`:
    the command reads the database, so it must be there already."""
    if existing:
        existing_database(found)

    async def run() -> T:
        engine = create_engine(found.database)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    with database_errors(found):
        return asyncio.run(run())


def for_commands(found: Settings) -> Settings:
    """The settings of `found` fit for bootstrap() in a command that signs no token and
    serves no request.

    bootstrap() readies a server: it resolves the JWT secret (refusing a shared database
    without JWT_SECRET, generating a secret beside the embedded one) and parses and
    announces FAULTS drills. A flag command needs neither, and never failed, wrote a
    secret or logged a drill for them; so, unless JWT_SECRET is set, its services sign
    with a throwaway secret, and it has no drills. Nothing here issues a token.
    """
    update: dict[str, Any] = {"faults": None}
    if found.jwt_secret is None:
        update["jwt_secret"] = SecretStr(secrets.token_urlsafe(48))
    return found.model_copy(update=update)


def with_services(work: Callable[[Services], Awaitable[T]]) -> T:
    """`work` with the gateway's services, flags loaded; its changes are announced to the
    fleet over Redis by the admin. A refused change exits with its code and message."""
    from jewgo.gateway.wiring import bootstrap

    return _loaded(lambda found: bootstrap(for_commands(found), os.environ), work)


def with_flags(work: Callable[[FlagParts], Awaitable[T]]) -> T:
    """As `with_services`, with only what changing flags and rollouts takes (the flag
    store, its snapshot loaded, and the admin), for the commands that need no more."""
    return _loaded(lambda found: flag_wiring.build(found, os.environ), work)


class _Parts(Protocol):
    @property
    def flags(self) -> Flags: ...

    async def close(self) -> None: ...


P = TypeVar("P", bound=_Parts)


def _loaded(build: Callable[[Settings], P], work: Callable[[P], Awaitable[T]]) -> T:
    found = settings()
    existing_database(found)

    async def run() -> T:
        parts = build(found)
        try:
            await parts.flags.load()
            return await work(parts)
        except FlagError as exc:
            raise click.ClickException(f"{exc.code}: {exc.message}") from exc
        finally:
            await parts.close()

    with database_errors(found):
        return asyncio.run(run())
