"""The gateway as it is deployed: `pip install .`, then `jewgo` from any directory."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import Templates
from tests.support import base_env, free_port, serving

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Installed:
    """The wheel, and a fresh venv holding it and the locked runtime, no extras."""

    wheel: Path
    venv: Path

    @property
    def site(self) -> Path:
        return next((self.venv / "lib").glob("python3*/site-packages"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The project as it is deployed: its wheel installed into a new venv with exactly the
    locked runtime dependencies (requirements.lock, hashes checked) and none of the test
    extras, so an import the package does not declare fails here as it would for a user."""
    wheels = tmp_path_factory.mktemp("wheels")
    venv = tmp_path_factory.mktemp("venv")
    # setuptools builds in the source tree's build/ (git-ignored) and keeps what it finds
    # there: a module moved or deleted since the last build would still ship.
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    quiet = ["--disable-pip-version-check", "--quiet"]
    subprocess.run(
        [sys.executable, "-m", "pip", *quiet, "wheel", "--no-deps", "--no-build-isolation",
         "-w", str(wheels), str(ROOT)],
        check=True, cwd=wheels,
    )  # fmt: skip
    wheel = next(wheels.glob("jewgo_gateway-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", *quiet]
    lock = ROOT / "requirements.lock"
    subprocess.run([*pip, "install", "--require-hashes", "--no-deps", "-r", str(lock)], check=True)
    subprocess.run([*pip, "install", "--no-deps", str(wheel)], check=True)
    return Installed(wheel, venv)


def jewgo(installed: Installed) -> list[str]:
    """The `jewgo` command of the installed copy."""
    script = installed.venv / "bin" / "jewgo"
    assert script.exists()
    return [str(script)]


def env_for(installed: Installed, **values: str) -> dict[str, str]:
    # Nothing of the source tree or of this interpreter's site-packages on the path.
    env = base_env(PYTHONSAFEPATH="1", **values)
    env.pop("PYTHONPATH", None)
    return env


def vendored(installed: Installed) -> Path:
    return installed.site / "jewgo" / "gateway" / "static" / "vendor"


def assert_serves_graphiql_assets(url: str, page: str, installed: Installed) -> None:
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


def test_the_wheel_ships_migrations_and_seed_data(installed: Installed) -> None:
    package = installed.site / "jewgo"
    assert (package / "db" / "migrations" / "versions" / "0001_directory.py").exists()
    assert (package / "db" / "seed_data" / "directory.json").exists()
    # GraphiQL's page and its npm-vendored assets (made at build time, never committed).
    assert (package / "gateway" / "static" / "graphiql.html").exists()
    assert (vendored(installed) / "graphiql@3.8.3" / "graphiql.min.js").exists()
    # The console's page, modules and style: our own files, no build step.
    console = package / "gateway" / "console" / "static"
    assert {p.name for p in console.iterdir()} >= {"index.html", "main.js", "console.css"}
    where = subprocess.run(
        [
            str(installed.venv / "bin" / "python"),
            "-c",
            "import jewgo.db, jewgo.gateway; print(jewgo.db.__file__, jewgo.gateway.__file__)",
        ],
        env=env_for(installed),
        cwd="/",
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(ROOT) not in where and str(installed.site) in where


def test_first_start_migrates_seeds_and_serves(installed: Installed, tmp_path: Path) -> None:
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
    installed: Installed, templates: Templates, tmp_path: Path
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


def test_production_refuses_to_start_without_a_secret(installed: Installed, tmp_path: Path) -> None:
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


def test_schema_export_prints_the_sdl(installed: Installed, tmp_path: Path) -> None:
    out = subprocess.run(
        [*jewgo(installed), "schema", "export"],
        env=env_for(installed, DATA_DIR=str(tmp_path)),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "type Restaurant {" in out and "restaurants(" in out


def test_version_answers_from_another_directory(installed: Installed, tmp_path: Path) -> None:
    done = subprocess.run(
        [*jewgo(installed), "--version"],
        env=env_for(installed),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.startswith("jewgo ")


@dataclass(frozen=True)
class Module:
    source: str
    package: bool


def wheel_modules(wheel: Path) -> dict[str, Module]:
    """Every Python module in the wheel, by its dotted name."""
    found: dict[str, Module] = {}
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if name.endswith(".py"):
                package = name.endswith("/__init__.py")
                dotted = name.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
                found[dotted] = Module(archive.read(name).decode("utf-8"), package)
    return found


def named_modules(name: str, module: Module, known: set[str]) -> set[str]:
    """The modules of ours that `name` imports or names (uvicorn's "module:attribute",
    importlib) anywhere in its source."""
    package = name if module.package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(module.source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0]
                base = f"{anchor}.{base}".rstrip(".")
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.add(node.value.partition(":")[0])
    return found & known


def test_the_wheel_holds_product_code_only(installed: Installed) -> None:
    """Every module in the wheel is reached from what runs: the `jewgo` command (and each of
    its lazily imported command modules, named in COMMANDS) and Alembic's scripts, which it
    loads by path. A module that only tests import (a fake, a helper) is not shipped."""
    from jewgo.gateway.cli import COMMANDS

    with zipfile.ZipFile(installed.wheel) as archive:
        names = archive.namelist()
    assert all(n.startswith(("jewgo/", "jewgo_gateway-")) for n in names), names
    modules = wheel_modules(installed.wheel)
    known = set(modules)
    roots = {"jewgo.gateway.cli"} | {f"jewgo.gateway.cli.{m}" for m, _, _ in COMMANDS.values()}
    roots |= {m for m in known if m.startswith("jewgo.db.migrations")}
    reached: set[str] = set()
    todo = sorted(roots)
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        parents = [name.rsplit(".", i)[0] for i in range(1, name.count(".") + 1)]
        todo.extend(p for p in parents if p in known)
        todo.extend(named_modules(name, modules[name], known))
    assert sorted(known - reached) == [], "shipped, but only tests use them"
