"""`jewgo replay`: imported queries replayed through v3 and v4 from the shell, as a CI
pipeline would before a rollout; mutations never run."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from jewgo.gateway.cli import main
from jewgo.gateway.operations.manifest import FORMAT
from tests.integration.gateway.cli.test_cli_operations import (  # noqa: F401 (an autouse fixture)
    GOOD,
    entry,
    logging_restored,
)
from tests.support import Database


@pytest.fixture
def jewgo(fresh_db: Database, tmp_path: Path) -> Callable[..., Result]:
    env = {"DATABASE_URL": fresh_db.url, "DATA_DIR": str(tmp_path), "LOG_LEVEL": "WARNING",
           "API_V4_ENABLED": "true"}  # fmt: skip

    def run(*args: str) -> Result:
        return CliRunner(env=env).invoke(main, list(args))

    return run


def test_imported_queries_replay_clean_and_mutations_never_run(
    jewgo: Callable[..., Result], tmp_path: Path
) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(GOOD))
    assert jewgo("operations", "import", str(manifest)).exit_code == 0
    replayed = jewgo("replay", "--flag", "api_v4_restaurants", "--json")
    assert replayed.exit_code == 0, replayed.output
    report = json.loads(replayed.output)
    assert report["passed"] is True
    assert [(op["name"], op["outcome"]) for op in report["operations"]] == [("Page", "matched")]
    text = jewgo("replay", "--flag", "api_v4_restaurants")
    assert text.output.startswith("replay of api_v4_restaurants: 1 runs, 1 matched")
    stages = jewgo("flags", "list").output
    assert "api_v4_cache" in stages and "TESTING" not in stages  # the mutation never ran


def test_a_skipped_run_is_said_to_be_skipped_not_timed(
    jewgo: Callable[..., Result], tmp_path: Path
) -> None:
    stats = entry("query Stats { statistics { totalUsers } }", "Stats", "query")
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"format": FORMAT, "version": 1, "operations": [stats]}))
    assert jewgo("operations", "import", str(manifest)).exit_code == 0
    text = jewgo("replay", "--flag", "api_v4_restaurants")
    assert text.exit_code == 1, text.output  # a replay of nothing proves nothing
    line = text.output.splitlines()[1]
    assert line.startswith("  skipped   Stats (as anonymous) v3 ") and " ms, " in line
    assert line.endswith(", v4 not run; it does not reach api_v4_restaurants's domain")
    report = json.loads(jewgo("replay", "--flag", "api_v4_restaurants", "--json").output)
    (skipped,) = report["operations"]
    assert skipped["outcome"] == "skipped" and skipped["v4_ms"] is None
    assert isinstance(skipped["v3_ms"], float)


def test_an_unknown_flag_is_a_usage_error(jewgo: Callable[..., Result]) -> None:
    refused = jewgo("replay", "--flag", "api_v4_cache")
    assert refused.exit_code == 2
    assert "Invalid value for '--flag'" in refused.output


def test_a_rollout_that_requires_a_replay_waits_for_a_passing_one(
    jewgo: Callable[..., Result], tmp_path: Path
) -> None:
    refused = jewgo("rollout", "start", "api_v4_restaurants", "--require-replay")
    assert refused.exit_code == 1
    assert "FAILED_PRECONDITION: api_v4_restaurants has never been replayed" in refused.output
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(GOOD))
    assert jewgo("operations", "import", str(manifest)).exit_code == 0
    assert jewgo("replay", "--flag", "api_v4_restaurants").exit_code == 0
    started = jewgo("rollout", "start", "api_v4_restaurants", "--require-replay")
    assert started.exit_code == 0, started.output
    assert "RUNNING" in started.output
