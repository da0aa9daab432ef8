"""The gateway as it is deployed: `pip install .`, then `jewgo` from any directory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import Templates
from tests.support import base_env, free_port, serving

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project installed from a wheel into a directory of its own (no source tree)."""
    target = tmp_path_factory.mktemp("installed")
    wheels = tmp_path_factory.mktemp("wheels")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(ROOT)],
        check=True,
        cwd=wheels,
    )
    wheel = next(wheels.glob("jewgo_gateway-*.whl"))
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)
    return target


def jewgo(installed: Path) -> list[str]:
    """The `jewgo` entry point of the installed copy (PYTHONPATH puts it first)."""
    script = installed / "bin" / "jewgo"
    assert script.exists()
    return [sys.executable, str(script)]


def env_for(installed: Path, **values: str) -> dict[str, str]:
    return base_env(PYTHONPATH=str(installed), PYTHONSAFEPATH="1", **values)


def vendored(installed: Path) -> Path:
    return installed / "jewgo" / "gateway" / "static" / "vendor"


def assert_serves_graphiql_assets(url: str, page: str, installed: Path) -> None:
    """Every asset GraphiQL's page loads comes from the gateway, as the wheel ships it."""
    assert "unpkg.com" not in page
    manifest = json.loads((vendored(installed) / "manifest.json").read_text(encoding="utf-8"))
    for asset in manifest["assets"].values():
        link = f"/graphql/assets/{asset['path']}"
        assert f'src="{link}"' in page or f'href="{link}"' in page, link
        served = httpx.get(url + link, timeout=10)
        assert served.status_code == 200, link
        assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert served.content == (vendored(installed) / asset["path"]).read_bytes()


def test_the_wheel_ships_migrations_and_seed_data(installed: Path) -> None:
    assert (installed / "jewgo" / "db" / "migrations" / "versions" / "0001_directory.py").exists()
    assert (installed / "jewgo" / "db" / "seed_data" / "directory.json").exists()
    # GraphiQL's page and its npm-vendored assets (made at build time, never committed).
    assert (installed / "jewgo" / "gateway" / "static" / "graphiql.html").exists()
    assert (vendored(installed) / "graphiql@3.8.3" / "graphiql.min.js").exists()
    # The console's page, modules and style: our own files, no build step.
    console = installed / "jewgo" / "gateway" / "console" / "static"
    assert {p.name for p in console.iterdir()} >= {"index.html", "main.js", "console.css"}
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import jewgo.db, jewgo.gateway; print(jewgo.db.__file__, jewgo.gateway.__file__)",
        ],
        env=env_for(installed),
        cwd="/",
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(ROOT) not in where and str(installed) in where


def test_first_start_migrates_seeds_and_serves(installed: Path, tmp_path: Path) -> None:
    port, console = free_port(), free_port()
    env = env_for(
        installed, DATA_DIR=str(tmp_path / "data"), CONSOLE="true", CONSOLE_PORT=str(console)
    )
    env.pop("JWT_SECRET")  # the embedded default makes and keeps its own
    with serving([*jewgo(installed), "serve", "--port", str(port)], env, tmp_path, port) as server:
        query = {"query": "{ restaurants { totalCount } statistics { totalUsers } }"}
        reply = httpx.post(f"{server.url}/graphql", json=query, timeout=10).json()
        assert reply["data"]["restaurants"]["totalCount"] > 400
        assert reply["extensions"]["versions"] == {"restaurants": "v3", "statistics": "v3"}

        page = httpx.get(f"{server.url}/graphql", headers={"Accept": "text/html"}, timeout=10)
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        assert_serves_graphiql_assets(server.url, page.text, installed)
        ready = httpx.get(f"{server.url}/ready", timeout=10)
        assert ready.status_code == 200 and ready.json()["status"] == "ok"

        token = subprocess.run(
            [*jewgo(installed), "token", "--email", "admin@example.com"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        me = httpx.post(
            f"{server.url}/graphql",
            json={"query": "{ me { email role } }"},
            headers={"Authorization": f"Bearer {token}", "X-Resolver-Version": "v4"},
            timeout=10,
        ).json()
        assert me["data"]["me"] == {"email": "admin@example.com", "role": "ADMIN"}
        assert me["extensions"]["versions"] == {"users": "v4"}

        link = subprocess.run(
            [*jewgo(installed), "console-link", "--email", "admin@example.com"],
            env=env, cwd=tmp_path, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        address, _, secret = link.partition("#link=")
        assert address == f"http://127.0.0.1:{console}/console"
        assert "main.js" in httpx.get(address, timeout=10).text
        for asset in ("main.js", "api.js", "console.css"):
            served = httpx.get(f"http://127.0.0.1:{console}/console/static/{asset}", timeout=10)
            assert served.status_code == 200, asset
        session = httpx.post(f"{address}/session", json={"link": secret}, timeout=10)
        assert session.status_code == 200 and session.json()["role"] == "ADMIN"
    assert (tmp_path / "data" / "jewgo.db").exists()
    assert (tmp_path / "data" / "jwt-secret").exists()


async def test_serves_postgresql_after_migrating_it(
    installed: Path, templates: Templates, tmp_path: Path
) -> None:
    server_admin = await templates.server()
    name = await server_admin.create()
    try:
        port = free_port()
        env = env_for(installed, DATABASE_URL=server_admin.url(name))
        command = [*jewgo(installed), "serve", "--port", str(port)]
        with serving(command, env, tmp_path, port) as server:
            async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
                query = {"query": "{ restaurants { totalCount } }"}
                reply = (await client.post("/graphql", json=query)).json()
                # Only the embedded database is seeded on first start.
                assert reply["data"]["restaurants"]["totalCount"] == 0
                assert (await client.get("/ready")).status_code == 200
    finally:
        await server_admin.drop(name)


def test_production_refuses_to_start_without_a_secret(installed: Path, tmp_path: Path) -> None:
    env = env_for(installed, ENVIRONMENT="production", DATABASE_URL="postgresql+asyncpg://x/y")
    env.pop("JWT_SECRET")
    done = subprocess.run(
        [*jewgo(installed), "serve", "--port", str(free_port())],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "JWT_SECRET" in done.stderr


def test_schema_export_prints_the_sdl(installed: Path, tmp_path: Path) -> None:
    out = subprocess.run(
        [*jewgo(installed), "schema", "export"],
        env=env_for(installed, DATA_DIR=str(tmp_path)),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "type Restaurant {" in out and "restaurants(" in out
