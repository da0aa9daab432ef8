"""`jewgo operations import|list|export` on SQLite and PostgreSQL: a manifest goes in
whole or not at all, and comes back out the same."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import structlog
from click.testing import CliRunner, Result

from jewgo.gateway.cli import main
from jewgo.gateway.operations.manifest import FORMAT
from tests.support import Database

BODIES = [
    "query Page { restaurants(first: 5) { edges { node { name } } } }",
    'mutation Stage { setFlagStage(name: "api_v4_cache", stage: TESTING) { stage } }',
]


def entry(body: str, name: str, kind: str) -> dict[str, str]:
    return {
        "id": hashlib.sha256(body.encode()).hexdigest(),
        "name": name,
        "type": kind,
        "body": body,
    }


OPERATIONS = [entry(BODIES[0], "Page", "query"), entry(BODIES[1], "Stage", "mutation")]
GOOD = {"format": FORMAT, "version": 1, "operations": OPERATIONS}


@pytest.fixture(autouse=True)
def logging_restored() -> Iterator[None]:
    config, root = structlog.get_config(), logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.configure(**config)
    root.handlers[:], root.level = handlers, level


@pytest.fixture
def jewgo(fresh_db: Database, tmp_path: Path) -> Callable[..., Result]:
    env = {"DATABASE_URL": fresh_db.url, "DATA_DIR": str(tmp_path), "LOG_LEVEL": "WARNING"}

    def run(*args: str) -> Result:
        return CliRunner(env=env).invoke(main, list(args))

    return run


def test_a_manifest_goes_in_and_comes_out_the_same(
    jewgo: Callable[..., Result], tmp_path: Path
) -> None:
    given = tmp_path / "manifest.json"
    given.write_text(json.dumps(GOOD))
    imported = jewgo("operations", "import", str(given))
    assert imported.exit_code == 0, imported.output
    assert imported.output.strip() == "2 operations in the manifest, 2 new in the registry"
    again = jewgo("operations", "import", str(given))
    assert "0 new" in again.output
    listed = jewgo("operations", "list")
    assert "Page" in listed.output and "Stage" in listed.output and "mutation" in listed.output
    out = tmp_path / "out.json"
    assert jewgo("operations", "export", "-o", str(out)).exit_code == 0
    exported = json.loads(out.read_text())
    assert exported["format"] == FORMAT and exported["version"] == 1
    assert sorted(exported["operations"], key=lambda e: e["id"]) == sorted(
        OPERATIONS, key=lambda e: e["id"]
    )


def test_a_file_that_is_not_a_manifest_registers_nothing(
    jewgo: Callable[..., Result], tmp_path: Path
) -> None:
    broken = dict(GOOD, operations=[*OPERATIONS, {"id": "x", "type": "query"}])
    given = tmp_path / "broken.json"
    given.write_text(json.dumps(broken))
    refused = jewgo("operations", "import", str(given))
    assert refused.exit_code == 1
    assert "BAD_USER_INPUT" in refused.output and "operations[2]" in refused.output
    assert jewgo("operations", "list").output.strip() == "no operations registered"
