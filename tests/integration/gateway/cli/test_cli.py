"""The flag and rollout commands in process, on SQLite and PostgreSQL: built from the
server's composition root, changing flags through the admin, needing no JWT secret."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import structlog
from click.testing import CliRunner, Result

from jewgo.gateway.cli import main
from tests.support import Database


@pytest.fixture(autouse=True)
def logging_restored() -> Iterator[None]:
    """The CLI configures logging onto CliRunner's streams; later tests need theirs back."""
    config, root = structlog.get_config(), logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.configure(**config)
    root.handlers[:], root.level = handlers, level


@pytest.fixture
def jewgo(fresh_db: Database, tmp_path: Path) -> Iterator[Callable[..., Result]]:
    env = {
        "DATABASE_URL": fresh_db.url,
        "DATA_DIR": str(tmp_path),
        "REDIS_URL": None,
        "JWT_SECRET": None,
        "FAULTS": "not a drill",  # what the flag commands never read
        "LOG_LEVEL": "WARNING",
    }

    def run(*args: str) -> Result:
        return CliRunner(env=env).invoke(main, list(args), catch_exceptions=False)

    yield run
    assert not (tmp_path / "jwt-secret").exists()


def test_a_rollout_by_the_command_line(jewgo: Callable[..., Result]) -> None:
    started = jewgo("rollout", "start", "api_v4_reviews", "--initial", "20", "--interval", "60")
    assert started.exit_code == 0, started.output
    assert started.stdout.startswith("api_v4_reviews           RUNNING         20%  next step ")
    assert started.stdout.endswith("\n    rollout started at 20%\n")
    listing = jewgo("flags", "list").stdout
    assert "api_v4_reviews           PARTIAL       20%  v2    cli:" in listing
    again = jewgo("rollout", "start", "api_v4_reviews")
    assert again.exit_code == 1
    assert again.stderr == (
        "Error: CONFLICT: api_v4_reviews already has a rollout RUNNING or PAUSED\n"
    )
    for move, state in (("pause", "PAUSED"), ("resume", "RUNNING"), ("stop", "STOPPED")):
        moved = jewgo("rollout", move, "api_v4_reviews")
        assert moved.exit_code == 0, moved.output
        assert f" {state} " in moved.stdout and f"{state.lower()} by cli:" in moved.stdout
        # Only a RUNNING rollout has a next step (a PAUSED one keeps its place, not a time).
        status = jewgo("rollout", "status").stdout
        assert ("next step —" in status) is (state != "RUNNING"), status
    refused = jewgo("rollout", "resume", "api_v4_reviews")
    assert refused.stderr == "Error: BAD_USER_INPUT: the rollout of api_v4_reviews is STOPPED\n"
    assert "api_v4_reviews           STOPPED" in jewgo("rollout", "status").stdout


def test_a_rollout_starts_where_the_flag_is_and_lowers_it_only_when_told(
    jewgo: Callable[..., Result],
) -> None:
    for args in (("stage", "api_v4_reviews", "TESTING"), ("stage", "api_v4_reviews", "PARTIAL"),
                 ("percentage", "api_v4_reviews", "25")):  # fmt: skip
        assert jewgo("flags", *args).exit_code == 0
    kept = jewgo("rollout", "start", "api_v4_reviews")
    assert kept.exit_code == 0, kept.output
    assert kept.stdout.startswith("api_v4_reviews           RUNNING         25%  ")
    assert jewgo("rollout", "stop", "api_v4_reviews").exit_code == 0
    lower = jewgo("rollout", "start", "api_v4_reviews", "--initial", "5")
    assert lower.exit_code == 1
    assert lower.stderr == (
        "Error: BAD_USER_INPUT: api_v4_reviews serves v4 to 25% of callers (PARTIAL); starting "
        "at 5% sends 20% of callers back to v3: start at 25% or more, or confirm the lowering "
        "(allowLowering: true; --lower on the command line)\n"
    )
    assert "api_v4_reviews           PARTIAL       25%" in jewgo("flags", "list").stdout
    lowered = jewgo("rollout", "start", "api_v4_reviews", "--initial", "5", "--lower")
    assert lowered.exit_code == 0, lowered.output
    assert lowered.stdout.endswith("\n    rollout started at 5%\n")
    # DISABLED (and TESTING) serve no ordinary caller v4: the default of 5 % lowers nothing.
    fresh = jewgo("rollout", "start", "api_v4_users")
    assert fresh.exit_code == 0 and fresh.stdout.endswith("rollout started at 5%\n")
    # FULL serves everyone: any start lowers it.
    for stage in ("TESTING", "PARTIAL", "FULL"):
        assert jewgo("flags", "stage", "api_v4_cache", stage).exit_code == 0
    full = jewgo("rollout", "start", "api_v4_cache")
    assert full.exit_code == 1 and "sends 95% of callers back to v3" in full.stderr
    help_text = jewgo("rollout", "start", "--help").stdout
    assert "current percentage when it is PARTIAL" in help_text and "--lower" in help_text


def test_flag_changes_by_the_command_line_follow_the_rules(
    jewgo: Callable[..., Result],
) -> None:
    jumped = jewgo("flags", "stage", "api_v4_users", "complete")
    assert jumped.exit_code == 1
    assert jumped.stderr == (
        "Error: BAD_USER_INPUT: api_v4_users is DISABLED: COMPLETE skips TESTING, PARTIAL, "
        "FULL; move one stage at a time, or force the jump with force: true and a reason\n"
    )
    unexplained = jewgo("flags", "stage", "api_v4_users", "COMPLETE", "--force")
    assert unexplained.stderr.endswith("a forced jump needs a reason for the audit log\n")
    forced = jewgo("flags", "stage", "api_v4_users", "COMPLETE", "--force", "--reason", "drill")
    assert forced.exit_code == 0, forced.output
    refused = jewgo("flags", "stage", "api_v4_users", "FULL")
    assert refused.stderr == (
        "Error: BAD_USER_INPUT: api_v4_users is COMPLETE; leaving COMPLETE needs force: true\n"
    )
    unknown = jewgo("flags", "override", "api_v4_users", "999999", "on")
    assert unknown.stderr == "Error: BAD_USER_INPUT: No user with id 999999\n"
    blank = jewgo("flags", "rollback", "--reason", " ")
    assert blank.stderr == "Error: BAD_USER_INPUT: a rollback needs a reason\n"
    rolled = jewgo("flags", "rollback", "--reason", "drill")
    assert rolled.exit_code == 0 and "api_v4_users" not in rolled.stdout
