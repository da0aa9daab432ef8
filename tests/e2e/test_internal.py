"""/ready and /metrics are for operators: behind METRICS_TOKEN or on METRICS_PORT;
/health stays public."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import Templates, clone
from tests.support import Database, base_env, free_port, gateway_client, serving

TOKEN = "operator-token-" + "t" * 20


async def test_with_a_token_ready_and_metrics_need_it_and_health_does_not(
    shared_db: Database, data_dir: Path
) -> None:
    async with gateway_client(shared_db, data_dir, {}, metrics_token=TOKEN) as gql:
        for path in ("/ready", "/metrics"):
            assert (await gql.http.get(path)).status_code == 401
            wrong = await gql.http.get(path, headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401
            right = await gql.http.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
            assert right.status_code == 200
        assert (await gql.http.get("/health")).status_code == 200


@pytest.mark.slow
async def test_on_a_port_of_their_own_every_worker_answers_there_and_not_on_the_main_port(
    templates: Templates, tmp_path: Path
) -> None:
    database = await clone("postgres", templates, tmp_path)
    try:
        await asyncio.to_thread(on_their_own_port, database, tmp_path)
    finally:
        await database.close()


def on_their_own_port(database: Database, tmp_path: Path) -> None:
    port, internal = free_port(), free_port()
    jewgo = str(Path(sys.executable).parent / "jewgo")
    env = base_env(DATABASE_URL=database.url, METRICS_PORT=str(internal))
    command = [jewgo, "serve", "--port", str(port), "--workers", "2"]
    with serving(command, env, tmp_path, port) as server:
        assert httpx.get(f"{server.url}/ready", timeout=5).status_code == 404
        assert httpx.get(f"{server.url}/metrics", timeout=5).status_code == 404
        assert httpx.get(f"{server.url}/health", timeout=5).status_code == 200
        seen = set()
        for _ in range(40):  # new connections reach either worker
            ready = httpx.get(f"http://127.0.0.1:{internal}/ready", timeout=5)
            assert ready.status_code == 200
            seen.add(ready.json()["instance"])
        assert len(seen) == 2
        metrics = httpx.get(f"http://127.0.0.1:{internal}/metrics", timeout=5)
        assert "jewgo_flag_stage" in metrics.text
