"""Who the audit log says changed a flag from the command line: the user of JEWGO_TOKEN,
the token verified with the JWT secret and the user an ADMIN now, else `cli:<login>`."""

from __future__ import annotations

import getpass
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import structlog
from click.testing import CliRunner, Result

from jewgo.gateway.cli import main
from jewgo.gateway.request.auth import Tokens
from tests.support import ADMIN_ID, JWT_SECRET, MODERATOR_ID, Database

Jewgo = Callable[..., Result]


@pytest.fixture(autouse=True)
def logging_restored() -> Iterator[None]:
    """The CLI configures logging onto CliRunner's streams; later tests need theirs back."""
    config, root = structlog.get_config(), logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.configure(**config)
    root.handlers[:], root.level = handlers, level


@pytest.fixture
def jewgo(fresh_db: Database, tmp_path: Path) -> Jewgo:
    env = {
        "DATABASE_URL": fresh_db.url,
        "DATA_DIR": str(tmp_path),
        "REDIS_URL": None,
        "JWT_SECRET": JWT_SECRET,
        "JEWGO_TOKEN": None,
        "LOG_LEVEL": "WARNING",
    }

    def run(*args: str, **environ: str | None) -> Result:
        return CliRunner(env={**env, **environ}).invoke(main, list(args), catch_exceptions=False)

    return run


def changed_by(jewgo: Jewgo, flag: str) -> str:
    """The last column of the flag's line in `jewgo flags list`: who changed it last."""
    line = next(
        line for line in jewgo("flags", "list").stdout.splitlines() if line.startswith(flag)
    )
    return line.split()[4]


def test_a_change_is_the_token_users_when_jewgo_token_is_given(jewgo: Jewgo) -> None:
    printed = jewgo("token", "--email", "admin@example.com")
    assert printed.exit_code == 0, printed.output
    token = printed.stdout.strip()
    moved = jewgo("flags", "stage", "api_v4_users", "TESTING", JEWGO_TOKEN=token)
    assert moved.exit_code == 0, moved.output
    assert changed_by(jewgo, "api_v4_users") == f"user:{ADMIN_ID}"
    started = jewgo("rollout", "start", "api_v4_reviews", JEWGO_TOKEN=token)
    assert started.exit_code == 0, started.output
    paused = jewgo("rollout", "pause", "api_v4_reviews", JEWGO_TOKEN=token)
    assert f"paused by user:{ADMIN_ID}" in paused.stdout
    assert changed_by(jewgo, "api_v4_reviews") == f"user:{ADMIN_ID}"


def test_without_a_token_a_change_is_the_logins(jewgo: Jewgo) -> None:
    assert jewgo("flags", "stage", "api_v4_users", "TESTING").exit_code == 0
    assert changed_by(jewgo, "api_v4_users") == f"cli:{getpass.getuser()}"


REFUSED = [
    ("not.a.token", "UNAUTHENTICATED: JEWGO_TOKEN: The token is not valid"),
    (Tokens("another-secret-" + "y" * 40, 86_400).issue(ADMIN_ID),
     "UNAUTHENTICATED: JEWGO_TOKEN: The token is not valid"),
    (Tokens(JWT_SECRET, 60).issue(ADMIN_ID, now=0),
     "UNAUTHENTICATED: JEWGO_TOKEN: The token has expired"),
    (Tokens(JWT_SECRET, 86_400).issue(999_999),
     "UNAUTHENTICATED: JEWGO_TOKEN: the token's user no longer exists"),
    (Tokens(JWT_SECRET, 86_400).issue(MODERATOR_ID),
     "FORBIDDEN: JEWGO_TOKEN: the token's user is a MODERATOR, not an ADMIN"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("token", "error"), REFUSED, ids=["forged", "other-secret", "expired", "deleted", "moderator"]
)
def test_a_token_that_is_not_an_admins_changes_nothing(
    jewgo: Jewgo, token: str, error: str
) -> None:
    refused = jewgo("flags", "stage", "api_v4_users", "TESTING", JEWGO_TOKEN=token)
    assert (refused.exit_code, refused.stderr) == (1, f"Error: {error}\n")
    refused = jewgo("rollout", "start", "api_v4_users", JEWGO_TOKEN=token)
    assert (refused.exit_code, refused.stderr) == (1, f"Error: {error}\n")
    assert changed_by(jewgo, "api_v4_users") == "migration"  # as the first migration left it
    # Reading needs no one to blame: the token is checked when a change is made.
    assert jewgo("flags", "list", JEWGO_TOKEN=token).exit_code == 0


def test_a_token_without_the_secret_to_check_it_is_refused(jewgo: Jewgo, tmp_path: Path) -> None:
    token = Tokens(JWT_SECRET, 60).issue(ADMIN_ID)
    refused = jewgo("flags", "stage", "api_v4_users", "TESTING", JEWGO_TOKEN=token, JWT_SECRET=None)
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: JEWGO_TOKEN cannot be checked: set JWT_SECRET to the secret the gateway "
        "signs tokens with\n"
    )
    assert not (tmp_path / "jwt-secret").exists()  # none generated to check against


@pytest.mark.parametrize("command", ["flags", "rollout", "replay"])
def test_the_help_says_whom_the_audit_names(command: str) -> None:
    shown = " ".join(CliRunner().invoke(main, [command, "--help"]).output.split())
    assert "JEWGO_TOKEN" in shown and "user:<id>" in shown and "cli:<login>" in shown
