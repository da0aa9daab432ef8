"""Flags across a fleet of real processes on PostgreSQL and Redis.

A change made through one instance is in force on another within a second (pub/sub),
and again when the message is lost (the poll of the revision); every worker of
`jewgo serve --workers 2` follows; environment overrides apply from start-up.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from jewgo.gateway.request.auth import Tokens
from tests.conftest import Templates, clone
from tests.support import (
    ADMIN_ID,
    JWT_SECRET,
    USER_ID,
    Database,
    Server,
    base_env,
    free_port,
    serving,
)

pytestmark = pytest.mark.slow
JEWGO = str(Path(sys.executable).parent / "jewgo")
POLL_SECONDS = 3.0
ADMIN_TOKEN = Tokens(JWT_SECRET, 3600).issue(ADMIN_ID)
PROBE = "{ restaurants(first: 1) { totalCount } }"


@pytest.fixture
async def fresh_db(templates: Templates, tmp_path: Path) -> AsyncIterator[Database]:
    """These run on PostgreSQL only: it is what a fleet shares."""
    database = await clone("postgres", templates, tmp_path)
    assert database.url.startswith("postgresql")
    yield database
    await database.close()


def gateway_env(
    database: Database, redis_url: str | None, namespace: str, **extra: str
) -> dict[str, str]:
    env = base_env(
        DATABASE_URL=database.url,
        REDIS_NAMESPACE=namespace,
        FLAG_POLL_SECONDS=str(POLL_SECONDS),
        **extra,
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def start(stack: ExitStack, env: dict[str, str], cwd: Path, *args: str) -> Server:
    port = free_port()
    return stack.enter_context(
        serving([JEWGO, "serve", "--port", str(port), *args], env, cwd, port)
    )


def graphql(server: Server, query: str, *, token: str | None = None, **headers: str) -> Any:
    if token:
        headers["Authorization"] = f"Bearer {token}"
    reply = httpx.post(f"{server.url}/graphql", json={"query": query}, headers=headers, timeout=10)
    body = reply.json()
    assert not body.get("errors"), body
    return body


def version(server: Server, **headers: str) -> str:
    return str(graphql(server, PROBE, **headers)["extensions"]["versions"]["restaurants"])


def set_stage(server: Server, name: str, stage: str) -> None:
    """Straight to `stage`, past any stage between (forced: these tests time propagation)."""
    graphql(
        server,
        f'mutation {{ setFlagStage(name: "{name}", stage: {stage}, force: true, '
        'reason: "propagation test") { version } }',
        token=ADMIN_TOKEN,
    )


def seconds_until(condition: Any, timeout: float) -> float:
    """How long until `condition()` holds, polling every 10 ms; fails after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.01)
    raise AssertionError(f"not within {timeout} s")


def test_a_change_through_one_instance_is_in_force_on_another_within_a_second(
    fresh_db: Database, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    env = gateway_env(fresh_db, redis_url, namespace)
    with ExitStack() as stack:
        one, two = start(stack, env, tmp_path), start(stack, env, tmp_path)
        set_stage(one, "api_v4_enabled", "FULL")
        assert version(two) == "v3"

        set_stage(one, "api_v4_restaurants", "FULL")
        through_pubsub = seconds_until(lambda: version(two) == "v4", timeout=POLL_SECONDS)
        print(f"\npropagation through Redis pub/sub: {through_pubsub * 1000:.0f} ms")
        assert through_pubsub < 1.0

        # A change nobody announces (the CLI without Redis): only the poll can find it.
        quiet = {k: v for k, v in env.items() if k != "REDIS_URL"}
        subprocess.run(
            [JEWGO, "flags", "stage", "api_v4_restaurants", "DISABLED", "--reason", "quiet"],
            env=quiet,
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )
        through_poll = seconds_until(lambda: version(two) == "v3", timeout=POLL_SECONDS + 2)
        print(f"propagation of a lost message through the poll: {through_poll * 1000:.0f} ms")
        # Instance one polls on a phase of its own: it finds the change within a poll too.
        seconds_until(lambda: version(one) == "v3", timeout=POLL_SECONDS + 2)


def test_every_worker_process_follows_a_change(
    fresh_db: Database, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    env = gateway_env(fresh_db, redis_url, namespace)
    with ExitStack() as stack:
        server = start(stack, env, tmp_path, "--workers", "2")

        def revisions() -> dict[str, int]:
            seen: dict[str, int] = {}
            for _ in range(200):  # fresh connections land on either worker
                ready = httpx.get(f"{server.url}/ready", timeout=5).json()
                seen[ready["instance"]] = ready["flags"]["revision"]
                if len(seen) == 2:
                    break
            return seen

        before = revisions()
        assert len(before) == 2, "both workers answered"
        set_stage(server, "api_v4_enabled", "TESTING")
        target = max(before.values()) + 1
        took = seconds_until(lambda: set(revisions().values()) == {target}, timeout=5)
        print(f"\nboth workers at revision {target} after {took * 1000:.0f} ms")


def test_environment_overrides_apply_from_start_up(
    fresh_db: Database, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    env = gateway_env(fresh_db, redis_url, namespace)
    subprocess.run(
        [JEWGO, "flags", "stage", "api_v4_restaurants", "PARTIAL", "--force", "--reason", "test"],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    overridden = env | {
        "API_V4_ENABLED": "true",
        "API_V4_RESTAURANTS_ROLLOUT": "100",
        f"API_V4_RESTAURANTS_USER_{USER_ID}": "false",
    }
    user_token = Tokens(JWT_SECRET, 3600).issue(USER_ID)
    with ExitStack() as stack:
        server = start(stack, overridden, tmp_path)
        # Stored at 0 %, but the environment's rollout of 100 % replaces it...
        assert {version(server, **{"X-Client-Id": f"c{n}"}) for n in range(10)} == {"v4"}
        # ...except for the user the environment sends to v3.
        user = graphql(server, PROBE, token=user_token)
        assert user["extensions"]["versions"]["restaurants"] == "v3"
        flag = graphql(
            server, '{ flag(name: "api_v4_restaurants") { envOverride rolloutPercentage } }',
            token=ADMIN_TOKEN,
        )["data"]["flag"]  # fmt: skip
        assert flag["rolloutPercentage"] == 0
        assert flag["envOverride"] == (
            f"rollout 100% by API_V4_RESTAURANTS_ROLLOUT; "
            f"user {USER_ID} V3 by API_V4_RESTAURANTS_USER_{USER_ID}"
        )


def test_a_malformed_flag_variable_refuses_to_start(
    fresh_db: Database, namespace: str, tmp_path: Path
) -> None:
    env = gateway_env(fresh_db, None, namespace, API_V4_USERS_ROLLOUT="lots")
    done = subprocess.run(
        [JEWGO, "serve", "--port", str(free_port())],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "API_V4_USERS_ROLLOUT" in done.stderr


def test_the_cli_changes_flags_with_the_same_rules(
    fresh_db: Database, namespace: str, tmp_path: Path
) -> None:
    env = gateway_env(fresh_db, None, namespace)

    def jewgo(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [JEWGO, "flags", *args], env=env, cwd=tmp_path, capture_output=True, text=True
        )

    jumped = jewgo("stage", "api_v4_users", "complete")
    assert jumped.returncode != 0 and "skips TESTING, PARTIAL, FULL" in jumped.stderr
    assert jewgo("stage", "api_v4_users", "complete", "--force", "--reason", "r").returncode == 0
    refused = jewgo("stage", "api_v4_users", "FULL")
    assert refused.returncode != 0 and "force" in refused.stderr
    assert jewgo("stage", "api_v4_users", "FULL", "--force", "--reason", "undo").returncode == 0
    assert jewgo("percentage", "api_v4_users", "150").returncode != 0
    assert jewgo("percentage", "api_v4_users", "25", "--expected-version", "9").returncode != 0
    assert jewgo("override", "api_v4_users", str(USER_ID), "on").returncode == 0
    assert jewgo("rollback", "--reason", "drill").returncode == 0
    listing = jewgo("list").stdout
    assert "api_v4_users" in listing and "DISABLED" in listing and "overrides: 1" in listing


def test_every_worker_refuses_nonsense_before_forking(
    fresh_db: Database, namespace: str, tmp_path: Path
) -> None:
    for bad in ({"API_V4_USERS": "maybe"}, {"JWT_SECRET": ""}):
        env = gateway_env(fresh_db, None, namespace, **bad)
        if not bad.get("JWT_SECRET", "x"):
            env.pop("JWT_SECRET")
        done = subprocess.run(
            [JEWGO, "serve", "--workers", "2", "--port", str(free_port())],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode != 0
        assert "API_V4_USERS" in done.stderr or "JWT_SECRET" in done.stderr
