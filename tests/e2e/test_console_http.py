"""The console over HTTP, on its own listener: the page and modules from the package,
sign-in by one-time link or pasted token, the event stream, and who may do what."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from jewgo.flags.clock import utc_now
from jewgo.flags.stages import Stage
from jewgo.gateway.console.app import STATIC
from jewgo.gateway.console.links import ConsoleLinks, LinkRefused
from tests.support import (
    ADMIN_ID,
    MODERATOR_ID,
    USER_ID,
    Database,
    GraphQL,
    free_port,
    gateway_client,
)

SET_STAGE = """mutation($stage: MigrationStage!) {
  setFlagStage(name: "api_v4_reviews", stage: $stage) { stage version } }"""
READ = "query { migration { totalFeatures flags { name effectivePercentage } } }"


class Console:
    def __init__(self, gql: GraphQL, http: httpx.AsyncClient) -> None:
        self.gql = gql
        self.http = http

    def links(self, **kwargs: object) -> ConsoleLinks:
        return ConsoleLinks(self.gql.services.engine, 10, **kwargs)  # type: ignore[arg-type]

    def bearer(self, user_id: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.gql.token(user_id)}"}

    async def graphql(
        self, query: str, user_id: int, variables: dict[str, Any] | None = None
    ) -> httpx.Response:
        return await self.http.post(
            "/console/graphql",
            json={"query": query, "variables": variables or {}},
            headers=self.bearer(user_id),
        )


@pytest.fixture
async def console(fresh_db: Database, tmp_path: Path) -> AsyncIterator[Console]:
    port = free_port()
    async with (
        gateway_client(
            fresh_db, tmp_path, {}, console=True, console_port=port, console_watch_seconds=0.05
        ) as gql,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http,
    ):
        yield Console(gql, http)


async def test_the_page_and_every_module_it_imports_come_from_the_package(
    console: Console,
) -> None:
    page = await console.http.get("/console")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert "set-cookie" not in page.headers
    modules = {p.name for p in STATIC.glob("*.js")}
    imported = {
        name
        for path in STATIC.glob("*.js")
        for name in re.findall(r'from "\./([a-z]+\.js)"', path.read_text())
    }
    assert imported <= modules and "main.js" in page.text
    preloaded = set(
        re.findall(r'rel="modulepreload" href="/console/static/([a-z]+\.js)"', page.text)
    )
    assert preloaded == modules - {"main.js"}  # no waterfall of imports
    for name in sorted(modules | {"console.css"}):
        asset = await console.http.get(f"/console/static/{name}")
        assert asset.status_code == 200, name
        kind = "text/css" if name.endswith(".css") else "javascript"
        assert kind in asset.headers["content-type"], name


async def test_console_false_leaves_its_port_closed(fresh_db: Database, tmp_path: Path) -> None:
    port = free_port()
    async with (
        gateway_client(fresh_db, tmp_path, {}, console=False, console_port=port),
        httpx.AsyncClient(timeout=2) as http,
    ):
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://127.0.0.1:{port}/console")


async def test_a_link_signs_in_once(console: Console) -> None:
    issued = await console.links().issue("Admin@Example.com")
    assert issued.role == "ADMIN"
    first = await console.http.post("/console/session", json={"link": issued.secret})
    assert first.status_code == 200
    session = first.json()
    assert session["role"] == "ADMIN" and session["userId"] == str(ADMIN_ID)
    me = await console.http.post(
        "/console/graphql",
        json={"query": "{ me { email role } }"},
        headers={"Authorization": f"Bearer {session['token']}"},
    )
    assert me.json()["data"]["me"] == {"email": "admin@example.com", "role": "ADMIN"}
    again = await console.http.post("/console/session", json={"link": issued.secret})
    assert again.status_code == 401
    assert again.json()["code"] == "UNAUTHENTICATED"


async def test_a_link_expires(console: Console) -> None:
    earlier = utc_now() - timedelta(minutes=11)
    issued = await console.links(clock=lambda: earlier).issue("moderator@example.com")
    reply = await console.http.post("/console/session", json={"link": issued.secret})
    assert reply.status_code == 401
    assert "expired" in reply.json()["error"]


async def test_links_are_for_staff_only(console: Console) -> None:
    with pytest.raises(LinkRefused, match="ADMIN and MODERATOR"):
        await console.links().issue("julia.adler@example.com")  # USER_ID
    with pytest.raises(LinkRefused, match="no user"):
        await console.links().issue("nobody@example.com")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b'{"link": 5}', 400),
        (b"[]", 400),
        (b'{"link": "' + b"x" * 10_000 + b'"}', 401),
        (b'{"link": ""}', 401),
        (b'{"link": "' + b"x" * 2_000_000 + b'"}', 413),
        (b'{"link": "\\ud800"}', 401),  # a lone surrogate: no UTF-8 to hash
        (b"[" * 100_000 + b"]" * 100_000, 400),  # deeper than json.loads can go
        (b'{"link": "\xff"}', 400),
    ],
)
async def test_bad_sign_in_bodies_are_refused(console: Console, body: bytes, status: int) -> None:
    reply = await console.http.post(
        "/console/session", content=body, headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == status


@pytest.mark.parametrize(
    ("user", "status", "role"),
    [(ADMIN_ID, 200, "ADMIN"), (MODERATOR_ID, 200, "MODERATOR"), (USER_ID, 403, None)],
)
async def test_a_pasted_token_is_checked_against_the_users_table(
    console: Console, user: int, status: int, role: str | None
) -> None:
    reply = await console.http.post("/console/session", headers=console.bearer(user))
    assert reply.status_code == status
    assert reply.json().get("role") == role
    forged = await console.http.post(
        "/console/session", headers={"Authorization": "Bearer not.a.token"}
    )
    assert forged.status_code == 401


async def test_a_moderator_reads_and_a_forged_action_is_forbidden(console: Console) -> None:
    read = (await console.graphql(READ, MODERATOR_ID)).json()
    assert read["data"]["migration"]["totalFeatures"] == 8
    forged = await console.http.post(
        "/console/graphql",
        json={"query": SET_STAGE, "variables": {"stage": "FULL"}},
        headers=console.bearer(MODERATOR_ID),
    )
    assert forged.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    user = (await console.graphql(READ, USER_ID)).json()
    assert user["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    state = await console.gql('{ flag(name: "api_v4_reviews") { stage } }', as_user=ADMIN_ID)
    assert state.ok()["flag"]["stage"] == "DISABLED"


async def test_no_other_origin_may_call_the_console(console: Console) -> None:
    evil = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    preflight = await console.http.options("/console/graphql", headers=evil)
    assert "access-control-allow-origin" not in preflight.headers
    reply = await console.http.post(
        "/console/graphql", json={"query": READ}, headers={"Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in reply.headers
    assert reply.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


PUBLIC = "{ restaurants(first: 1) { totalCount } }"
INTROSPECTION = "{ __schema { queryType { name } } }"


@pytest.mark.parametrize("query", [PUBLIC, INTROSPECTION], ids=["public data", "introspection"])
@pytest.mark.parametrize(
    ("user", "status", "code"), [(None, 401, "UNAUTHENTICATED"), (USER_ID, 403, "FORBIDDEN")]
)
async def test_the_consoles_graphql_serves_console_sessions_only(
    console: Console, query: str, user: int | None, status: int, code: str
) -> None:
    headers = console.bearer(user) if user is not None else {}
    reply = await console.http.post("/console/graphql", json={"query": query}, headers=headers)
    assert reply.status_code == status
    assert reply.json() == {
        "data": None,
        "errors": [{"message": ANY, "extensions": {"code": code}}],
    }
    # The API's own port answers the same query to anyone.
    assert (await console.gql(query)).ok()


@pytest.mark.parametrize(("user", "status"), [(None, 401), (USER_ID, 403)])
async def test_the_event_stream_needs_staff(
    console: Console, user: int | None, status: int
) -> None:
    headers = console.bearer(user) if user is not None else {}
    reply = await console.http.get("/console/events", headers=headers)
    assert reply.status_code == status


async def events(response: httpx.Response) -> AsyncIterator[str]:
    """The names of the events of a stream (comments skipped)."""
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            yield line.removeprefix("event:").strip()


async def test_a_change_is_announced_and_a_demoted_user_is_signed_out(console: Console) -> None:
    async with console.http.stream(
        "GET", "/console/events", headers=console.bearer(MODERATOR_ID)
    ) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        names = events(stream)
        assert await anext(names) == "ready"
        changed = await console.gql(SET_STAGE, {"stage": "TESTING"}, as_user=ADMIN_ID, touches=())
        assert changed.ok()["setFlagStage"]["stage"] == "TESTING"
        assert await anext(names) == "change"
        demote = 'mutation { updateUserRole(id: "2", role: USER) { role } }'
        assert (await console.gql(demote, as_user=ADMIN_ID)).ok()
        assert await anext(names) == "signed-out"
        with pytest.raises(StopAsyncIteration):
            await anext(names)


async def test_a_swap_of_roles_that_keeps_the_staff_count_still_signs_out(
    console: Console,
) -> None:
    async with console.http.stream(
        "GET", "/console/events", headers=console.bearer(MODERATOR_ID)
    ) as stream:
        names = events(stream)
        assert await anext(names) == "ready"
        async with console.gql.services.engine.begin() as conn:
            await conn.execute(
                text("UPDATE users SET role = 'USER' WHERE id = :id"), {"id": MODERATOR_ID}
            )
            await conn.execute(
                text("UPDATE users SET role = 'MODERATOR' WHERE id = :id"), {"id": USER_ID}
            )
        assert await anext(names) == "signed-out"


WHO = """query($with: Boolean!, $flag: Boolean! = true) { flag(name: "api_v4_reviews") {
  updatedBy updatedByUser @include(if: $flag) { id name email }
  history(first: 10) { actor actorUser @include(if: $with) { id name email } } } }"""


def statements() -> float:
    return REGISTRY.get_sample_value("jewgo_sql_statements_per_request_sum") or 0.0


async def who(
    console: Console, user_id: int, *, people: bool = True, flag: bool = True
) -> tuple[Any, int]:
    """The flag's audit as `user_id` reads it, and the SQL statements the read took."""
    before = statements()
    reply = (await console.graphql(WHO, user_id, {"with": people, "flag": flag})).json()
    assert "errors" not in reply, reply
    return reply["data"]["flag"], int(statements() - before)


async def test_the_audit_names_its_people_with_their_email_to_an_admin_only(
    console: Console,
) -> None:
    admin, flag = console.gql.services.admin, "api_v4_reviews"
    await admin.set_stage(flag, Stage.TESTING, actor=f"user:{MODERATOR_ID}")
    await admin.set_stage(flag, Stage.PARTIAL, actor="cli:ops")
    await admin.set_percentage(flag, 10, actor="rollout-controller")
    await admin.set_stage(flag, Stage.FULL, actor="user:999999")
    changed = await console.graphql(SET_STAGE, ADMIN_ID, {"stage": "COMPLETE"})
    assert "errors" not in changed.json(), changed.json()
    avi = {"id": str(ADMIN_ID), "name": "Avi Admin", "email": "admin@example.com"}
    miriam = {"id": str(MODERATOR_ID), "name": "Miriam Moderator", "email": "moderator@example.com"}
    seen, _ = await who(console, ADMIN_ID)
    assert seen["updatedBy"] == f"user:{ADMIN_ID}" and seen["updatedByUser"] == avi
    assert [(e["actor"], e["actorUser"]) for e in seen["history"][:5]] == [
        (f"user:{ADMIN_ID}", avi),
        ("user:999999", None),  # no such user (any more)
        ("rollout-controller", None),
        ("cli:ops", None),
        (f"user:{MODERATOR_ID}", miriam),
    ]
    # A moderator sees the names; an email only as the user or an admin would (User.email).
    seen, _ = await who(console, MODERATOR_ID)
    assert seen["updatedByUser"] == {**avi, "email": None}
    assert seen["history"][4]["actorUser"] == miriam
    # Every person of the page in one statement, however many rows and people.
    _, named = await who(console, ADMIN_ID, flag=False)
    _, unnamed = await who(console, ADMIN_ID, people=False, flag=False)
    assert named == unnamed + 1


async def test_the_consoles_own_operations_stay_out_of_the_registry(console: Console) -> None:
    """The registry (and a replay of it) holds the API's traffic, not what the console asks."""
    own = "query ConsoleOwn { migration { totalFeatures } }"
    assert (await console.graphql(own, ADMIN_ID)).json()["data"]["migration"]
    batch = [{"query": "query ConsoleBatched { migration { totalFeatures } }"}] * 2
    batched = await console.http.post(
        "/console/graphql", json=batch, headers=console.bearer(ADMIN_ID)
    )
    assert [r["data"]["migration"]["totalFeatures"] for r in batched.json()] == [8, 8]
    (await console.gql("query Public { migration { totalFeatures } }", as_user=ADMIN_ID)).ok()
    registry = console.gql.services.registry
    await registry.flush()
    names = {op.name for op in await registry.most_run(100)}
    assert "Public" in names
    assert not names & {"ConsoleOwn", "ConsoleBatched"}
