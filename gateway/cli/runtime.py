"""What the commands share: settings from the environment, and running async work with an
engine (the data commands) or with the gateway's services (the flag commands)."""

from __future__ import annotations

import asyncio
import getpass
import os
import secrets
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import click
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.engine import create_engine
from jewgo.flags.admin.sync import Flags
from jewgo.flags.errors import FlagError
from jewgo.gateway.cli.failures import database_errors, existing_database
from jewgo.gateway.settings import Settings, SettingsError, load_settings
from jewgo.gateway.telemetry.logs import configure
from jewgo.gateway.wiring import flag_parts
from jewgo.gateway.wiring.flag_parts import FlagParts

if TYPE_CHECKING:  # the whole app: imported by the commands that need it, when they run
    from jewgo.gateway.wiring.services import Services

T = TypeVar("T")


def settings() -> Settings:
    try:
        found = load_settings()
    except SettingsError as exc:  # names each setting and its rule, never a value
        raise click.ClickException(f"invalid settings: {exc}") from None
    configure(found.log_level, found.log_format)
    return found


TOKEN = "JEWGO_TOKEN"
# Who this command's changes are by, as JEWGO_TOKEN says; or why its token will not do,
# said when a change is made (reading needs no one to blame). None: no token given.
_BY_TOKEN: ContextVar[str | click.ClickException | None] = ContextVar("by_token", default=None)


def actor() -> str:
    """Who the audit log says made a change from this shell: JEWGO_TOKEN's user
    (`user:<id>`) when it is given, else the login (`cli:<login>`)."""
    found = _BY_TOKEN.get()
    if isinstance(found, click.ClickException):
        raise found
    return found or f"cli:{getpass.getuser()}"


def code_of(exc: Exception) -> str | None:
    """The code the API gives `exc` (`schema.extensions.errors.CODES`, the one mapping),
    imported on a refusal only: a command's module imports nothing of the schema."""
    from jewgo.schema.extensions.errors import code_for

    return code_for(type(exc))


async def _token_actor(found: Settings, token: str, engine: AsyncEngine) -> str:
    """`user:<id>` of a valid token of an ADMIN (the role from the database, as for a
    request): checked with the secret the gateway signs tokens with."""
    from jewgo.flags.admin.users import user_actor, user_role_query
    from jewgo.gateway.request.auth import Tokens, existing_secret
    from jewgo.resolvers.errors import Unauthenticated

    secret = existing_secret(found)
    if secret is None:
        raise click.ClickException(
            f"{TOKEN} cannot be checked: set JWT_SECRET to the secret the gateway signs tokens with"
        )
    try:
        user_id = Tokens(secret, found.jwt_ttl_seconds).subject(token)
    except Unauthenticated as exc:
        raise click.ClickException(f"{code_of(exc)}: {TOKEN}: {exc.message}") from None
    role = await user_role_query(engine)(user_id)
    if role is None:
        raise click.ClickException(f"UNAUTHENTICATED: {TOKEN}: the token's user no longer exists")
    if role != "ADMIN":
        raise click.ClickException(
            f"FORBIDDEN: {TOKEN}: the token's user is a {role}, not an ADMIN"
        )
    return user_actor(user_id)


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
    from jewgo.gateway.wiring.services import bootstrap

    return _loaded(lambda found: bootstrap(for_commands(found), os.environ), work)


def with_flags(work: Callable[[FlagParts], Awaitable[T]]) -> T:
    """As `with_services`, with only what changing flags and rollouts takes (the flag
    store, its snapshot loaded, and the admin), for the commands that need no more."""
    return _loaded(lambda found: flag_parts.build(found, os.environ), work)


class _Parts(Protocol):
    @property
    def engine(self) -> AsyncEngine: ...

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
            token = os.environ.get(TOKEN, "").strip()
            if token:
                try:
                    _BY_TOKEN.set(await _token_actor(found, token, parts.engine))
                except click.ClickException as refused:
                    _BY_TOKEN.set(refused)
            return await work(parts)
        except FlagError as exc:
            raise click.ClickException(f"{code_of(exc)}: {exc.message}") from exc
        finally:
            await parts.close()

    with database_errors(found):
        return asyncio.run(run())
