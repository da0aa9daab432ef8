"""`jewgo console-link` in process, on SQLite and PostgreSQL: a link for staff only, with
the console's address and a secret that only its hash is kept of."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text

from jewgo.db.engine import create_engine
from jewgo.gateway.cli import main
from jewgo.gateway.console.links import digest
from tests.integration.gateway.cli.test_cli import logging_restored  # noqa: F401 (an autouse fixture)
from tests.support import Database

Run = Callable[..., Result]


@pytest.fixture
def jewgo(fresh_db: Database, tmp_path: Path) -> Run:
    env = {
        "DATABASE_URL": fresh_db.url,
        "DATA_DIR": str(tmp_path),
        "REDIS_URL": None,
        "LOG_LEVEL": "WARNING",
        "HOST": "127.0.0.1",
        "PORT": "8200",
        "CONSOLE_PORT": None,
        "CONSOLE": None,
        "CONSOLE_PUBLIC_URL": None,
    }

    def run(*args: str, **extra: str) -> Result:
        return CliRunner(env={**env, **extra}).invoke(main, list(args), catch_exceptions=False)

    return run


async def stored(database: Database) -> list[tuple[str, int]]:
    engine = create_engine(database.url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT hash, user_id FROM console_links"))
            return [(str(h), int(u)) for h, u in rows]
    finally:
        await engine.dispose()


def test_a_link_for_a_moderator_names_the_console_port(jewgo: Run, fresh_db: Database) -> None:
    printed = jewgo("console-link", "--email", "moderator@example.com")
    assert printed.exit_code == 0, printed.output
    match = re.fullmatch(
        r"http://127\.0\.0\.1:8201/console#link=([A-Za-z0-9_-]{43})\n", printed.stdout
    )
    assert match, printed.stdout
    assert printed.stderr.startswith("MODERATOR, works once, until ")
    assert asyncio.run(stored(fresh_db)) == [(digest(match[1]), 2)]  # the hash, never the secret
    behind = jewgo(
        "console-link", "--email", "admin@example.com", "--base-url", "https://ops.example/"
    )
    assert behind.stdout.startswith("https://ops.example/console#link=")
    own_port = jewgo("console-link", "--email", "admin@example.com", CONSOLE_PORT="9999")
    assert own_port.stdout.startswith("http://127.0.0.1:9999/console#link=")


def test_the_consoles_public_url_is_one_setting_the_link_follows(jewgo: Run) -> None:
    """CONSOLE_PUBLIC_URL, set where the server's settings are, gives the address without
    the server's port variables; --base-url still wins for one link."""
    public = {"CONSOLE_PUBLIC_URL": "https://ops.example/jewgo/"}
    printed = jewgo("console-link", "--email", "admin@example.com", **public)
    assert printed.exit_code == 0, printed.output
    assert re.fullmatch(
        r"https://ops\.example/jewgo/console#link=[A-Za-z0-9_-]{43}\n", printed.stdout
    ), printed.stdout
    given = jewgo(
        "console-link", "--email", "admin@example.com", "--base-url", "http://10.0.0.5:9000",
        **public,
    )  # fmt: skip
    assert given.stdout.startswith("http://10.0.0.5:9000/console#link=")
    wrong = jewgo("console-link", "--email", "admin@example.com", CONSOLE_PUBLIC_URL="ops:9")
    assert wrong.exit_code == 1
    assert "CONSOLE_PUBLIC_URL" in wrong.stderr and "ops:9" not in wrong.stderr


@pytest.mark.parametrize(
    ("email", "extra", "message"),
    [
        ("julia.adler@example.com", {}, "the console is for ADMIN and MODERATOR users only"),
        ("nobody@example.com", {}, "no user has the address 'nobody@example.com'"),
        ("admin@example.com", {"CONSOLE": "false"}, "the console is off (CONSOLE=false)"),
    ],
)
def test_no_link_for_anyone_else(
    jewgo: Run, fresh_db: Database, email: str, extra: dict[str, str], message: str
) -> None:
    refused = jewgo("console-link", "--email", email, **extra)
    assert refused.exit_code == 1
    assert refused.stderr == f"Error: {message}\n"
    assert asyncio.run(stored(fresh_db)) == []
