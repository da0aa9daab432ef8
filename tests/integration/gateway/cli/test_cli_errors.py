"""A command that meets a database it cannot use says why in one line, with the fix, and
exits 1: never a traceback, never an empty SQLite file left behind, never a value of a
secret."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from click.testing import CliRunner

from jewgo.gateway.cli import main
from tests.conftest import POSTGRES_ADMIN_URL
from tests.support import free_port


@pytest.fixture(autouse=True)
def logging_restored() -> Iterator[None]:
    config, root = structlog.get_config(), logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.configure(**config)
    root.handlers[:], root.level = handlers, level


def run(args: list[str], **env: str | None) -> tuple[int, str]:
    base: dict[str, str | None] = {"REDIS_URL": None, "JWT_SECRET": "s" * 40, "LOG_LEVEL": "ERROR"}
    result = CliRunner(env={**base, **env}).invoke(main, args)
    return result.exit_code, result.output


def postgres(database: str, port: int | None = None) -> str:
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    if port is not None:
        base = base.rsplit(":", 1)[0] + f":{port}"
    return f"{base}/{database}"


@pytest.mark.parametrize(
    ("env", "cause", "fix"),
    [
        ({"DATABASE_URL": postgres("test", port=free_port())}, "cannot reach", "is it running"),
        ({"DATABASE_URL": postgres("jewgo_no_such_db")}, "does not exist", "createdb"),
        ({"DATABASE_URL": "postgresql://postgres@127.0.0.1/test"}, "DATABASE_URL", "asyncpg"),
    ],
    ids=["unreachable", "missing", "sync-driver"],
)
@pytest.mark.parametrize("command", [["flags", "list"], ["token", "--email", "a@example.com"]])
def test_a_database_it_cannot_use_is_one_line_with_the_fix(
    env: dict[str, str], cause: str, fix: str, command: list[str]
) -> None:
    code, output = run(command, **env)
    assert code == 1
    assert output.startswith("Error: ") and output.count("\n") == 1, output
    assert cause in output and fix in output
    assert "Traceback" not in output


def test_no_embedded_database_is_said_and_none_is_created(tmp_path: Path) -> None:
    code, output = run(["flags", "list"], DATA_DIR=str(tmp_path), DATABASE_URL=None)
    assert code == 1
    assert "there is no database" in output and "jewgo serve" in output
    assert not (tmp_path / "jewgo.db").exists()


def test_an_unmigrated_sqlite_file_says_to_migrate(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    code, output = run(["flags", "list"], DATABASE_URL=f"sqlite+aiosqlite:///{empty}")
    assert code == 1
    assert "no schema yet" in output and "jewgo db upgrade" in output


def test_an_unwritable_export_path_is_one_line(tmp_path: Path) -> None:
    code, output = run(["schema", "export", "-o", str(tmp_path / "missing" / "schema.graphql")])
    assert code == 1
    assert output.startswith("Error: cannot write") and "Traceback" not in output


def test_version() -> None:
    code, output = run(["--version"])
    assert code == 0 and output.startswith("jewgo ")
