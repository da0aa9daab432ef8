"""Apollo Client 4 (npm), which nobody here wrote, against a live gateway from another
origin: relay-style pages, persisted queries by GET, batches, an admin mutation that
updates the normalised FeatureFlag in its cache."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from jewgo.gateway.request.auth import Tokens
from tests.e2e.test_graphql_over_http import node_clients
from tests.support import ADMIN_ID, JWT_SECRET, Server

pytestmark = pytest.mark.slow


def test_apollo_client_pages_persists_batches_and_normalises(
    live_gateway: Server, frontend_port: int
) -> None:
    clients = node_clients()
    token = Tokens(JWT_SECRET, 3600).issue(ADMIN_ID)
    origin = f"http://localhost:{frontend_port}"
    done = subprocess.run(
        ["node", str(clients / "apollo.mjs"), f"{live_gateway.url}/graphql", origin, token],
        cwd=clients,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    seen: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    pages = seen["pages"]
    assert len(pages["ids"]) == pages["unique"] == 20  # four pages merged, none twice
    flag = seen["flag"]
    assert flag["id"] == "api_v4_reviews"
    assert flag["after"] == ["PARTIAL", 35]  # from the mutations' answers, no refetch
    assert seen["batch"] == {"stats": seen["batch"]["stats"], "count": 1}
    assert seen["batch"]["stats"] > 500
    requests = seen["seen"]["requests"]
    # The first query went by hash alone and was not found (a request error: 400, as
    # Apollo Client 4 accepts application/graphql-response+json), then went with its
    # document; once known, the same query went by hash alone, over GET, and was answered.
    assert requests[0] == {"method": "GET", "status": 400, "hashOnly": True}
    assert requests[1] == {"method": "POST", "status": 200, "hashOnly": False}
    assert any(r["method"] == "GET" and r["hashOnly"] and r["status"] == 200 for r in requests[2:])
    assert seen["seen"]["batches"] == [2]
    assert seen["seen"]["corsRefused"] == 0
