"""GraphQL over HTTP, as clients nobody here wrote check it: every audit of the npm
`graphql-http` package's `serverAudits`, and what the spec says of operations,
batches and media types."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REQUIRE_SERVICES
from tests.support import Server

pytestmark = pytest.mark.slow
CLIENTS = Path(__file__).resolve().parents[1] / "clients"
RESPONSE = "application/graphql-response+json"


def node_clients() -> Path:
    if shutil.which("node") is None or not (CLIENTS / "node_modules" / "graphql-http").exists():
        message = "node and tests/clients/node_modules (make test runs npm ci) are needed"
        if REQUIRE_SERVICES:
            pytest.fail(message + " (REQUIRE_SERVICES=1)")
        pytest.skip(message)
    return CLIENTS


def test_every_graphql_http_audit_passes_without_a_warning(live_gateway: Server) -> None:
    clients = node_clients()
    done = subprocess.run(
        ["node", str(clients / "audit.mjs"), f"{live_gateway.url}/graphql"],
        cwd=clients,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    results: list[dict[str, Any]] = json.loads(done.stdout)
    assert len(results) == 61
    assert [r for r in results if r["status"] != "ok"] == []


@pytest.fixture
def http(live_gateway: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_gateway.url, timeout=10) as client:
        yield client
