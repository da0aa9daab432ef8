"""What goes wrong around a command, in one line that names the cause and the fix.

A command that meets a database it cannot use exits with status 1 and `Error: …`, never
a traceback: the database unreachable, missing or not migrated yet, a file it cannot
write. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from jewgo.gateway.settings import Settings


def where(settings: Settings) -> str:
    """The database in words, without a password."""
    return make_url(settings.database).render_as_string(hide_password=True)


def _missing_table(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "no such table" in text or ("relation" in text and "does not exist" in text)


@contextmanager
def database_errors(settings: Settings) -> Iterator[None]:
    """Turn what a database refuses into one-line errors with their fix."""
    target = where(settings)
    try:
        yield
    except (ConnectionRefusedError, socket.gaierror, TimeoutError) as exc:
        reason = "connection refused" if isinstance(exc, ConnectionRefusedError) else str(exc)
        raise click.ClickException(
            f"cannot reach the database at {target} ({reason}): is it running, and is "
            "DATABASE_URL right?"
        ) from None
    except (OperationalError, ProgrammingError, DBAPIError) as exc:
        text = str(exc.orig if exc.orig is not None else exc)
        if "does not exist" in text and "database" in text:
            name = make_url(settings.database).database
            raise click.ClickException(
                f"the database {name!r} does not exist at {target}: create it "
                f"(createdb {name}) or fix DATABASE_URL"
            ) from None
        if _missing_table(exc):
            raise click.ClickException(
                f"the database at {target} has no schema yet: run `jewgo db upgrade` "
                "(or `jewgo serve`, which migrates and seeds the embedded database)"
            ) from None
        if isinstance(exc, OperationalError) or exc.connection_invalidated:
            raise click.ClickException(
                f"the database at {target} refused the command ({type(exc.orig).__name__}): "
                "check DATABASE_URL and that the server accepts connections"
            ) from None
        raise


def existing_database(settings: Settings) -> None:
    """A command that reads the database must not create an empty SQLite file on its way
    to failing: the embedded database exists once `jewgo serve` or `db upgrade` ran."""
    if not settings.embedded:
        return
    path = make_url(settings.database).database
    if path and path != ":memory:" and not Path(path).exists():
        raise click.ClickException(
            f"there is no database at {path}: run `jewgo serve` (which migrates and seeds "
            "it) or `jewgo db upgrade`, or set DATABASE_URL"
        )


def write(path: Path, text: str) -> None:
    try:
        path.write_text(text)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None
