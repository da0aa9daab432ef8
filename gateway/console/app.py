"""The console's own Starlette app: its page and modules, sign-in, the event stream and the
gateway's GraphQL view.

No cookie is ever set: a console keeps its token in the tab's sessionStorage and sends it
in `Authorization` on every call, so another site cannot act for a signed-in operator
(there is no ambient credential to ride on, and no CORS on this origin lets it read).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cross_web import HTTPException
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jewgo.gateway.console.links import ConsoleLinks
from jewgo.gateway.console.watch import Watch
from jewgo.gateway.http.middleware import BodyLimit, RequestIds
from jewgo.gateway.operations.registry import unrecorded
from jewgo.gateway.request import bodies
from jewgo.gateway.request.auth import Tokens, bearer, viewer_of
from jewgo.resolvers.domain import Viewer
from jewgo.resolvers.errors import Unauthenticated

STATIC = Path(__file__).resolve().parent / "static"
HEARTBEAT_SECONDS = 15.0
_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Every console response forbids framing, sniffing and anything not from this origin."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        await self.app(scope, receive, secured if scope["type"] == "http" else send)


@dataclass(frozen=True, slots=True)
class Refused:
    """Why the console turns a caller away, as a value; `response` is how it says so."""

    status: int
    code: str
    message: str

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.message, "code": self.code}, self.status)

    def graphql_response(self) -> JSONResponse:
        error = {"message": self.message, "extensions": {"code": self.code}}
        return JSONResponse({"data": None, "errors": [error]}, self.status)


def refusal(status: int, code: str, message: str) -> JSONResponse:
    return Refused(status, code, message).response()


def not_staff(viewer: Viewer) -> Refused | None:
    """The refusal of a signed-in user who is neither ADMIN nor MODERATOR."""
    if viewer.is_staff:
        return None
    return Refused(403, "FORBIDDEN", "The console is for ADMIN and MODERATOR users")


@dataclass(frozen=True)
class Door:
    """Who may use the console: a valid token of an ADMIN or a MODERATOR."""

    engine: AsyncEngine
    tokens: Tokens

    async def viewer(self, user_id: int) -> Viewer:
        async with self.engine.connect() as conn:
            return await viewer_of(user_id, conn)

    async def check(self, request: Request) -> Viewer | Refused:
        try:
            token = bearer(request.headers.get("authorization"))
            if token is None:
                return Refused(401, "UNAUTHENTICATED", "Sign in with a token or a link")
            viewer = await self.viewer(self.tokens.subject(token))
        except Unauthenticated as exc:
            return Refused(401, "UNAUTHENTICATED", str(exc))
        return not_staff(viewer) or viewer

    async def staff(self, request: Request) -> Viewer | Response:
        found = await self.check(request)
        return found.response() if isinstance(found, Refused) else found


def who(viewer: Viewer) -> dict[str, Any]:
    return {"userId": str(viewer.id), "role": viewer.role.value}


@dataclass(frozen=True)
class Console:
    door: Door
    links: ConsoleLinks
    watch: Watch
    sessions: Tokens

    async def page(self, request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def session(self, request: Request) -> Response:
        """A link's secret for a session token, or a pasted token checked; who it is."""
        if "authorization" in request.headers:
            viewer = await self.door.staff(request)
            return viewer if isinstance(viewer, Response) else JSONResponse(who(viewer))
        try:  # the gateway's own decoder: UTF-8, bounded nesting, nothing that can raise
            body = bodies.decode(await request.body(), max_depth=4)
        except HTTPException:
            body = None
        secret = body.get("link") if isinstance(body, dict) else None
        if not isinstance(secret, str):
            return refusal(400, "BAD_USER_INPUT", 'Send {"link": "<secret>"} or a bearer token')
        user_id = await self.links.redeem(secret)
        if user_id is None:
            return refusal(401, "UNAUTHENTICATED", "This link has expired or was used already")
        try:
            viewer = await self.door.viewer(user_id)
        except Unauthenticated as exc:
            return refusal(401, "UNAUTHENTICATED", str(exc))
        refused = not_staff(viewer)
        if refused is not None:
            return refused.response()
        return JSONResponse({**who(viewer), "token": self.sessions.issue(viewer.id)})

    async def events(self, request: Request) -> Response:
        """Server-sent events: `change` whenever what a console shows changed in the fleet,
        a comment as a heartbeat; `signed-out` and the end when the caller is no longer
        staff (a demoted or deleted user)."""
        viewer = await self.door.staff(request)
        if isinstance(viewer, Response):
            return viewer
        token = bearer(request.headers.get("authorization"))
        assert token is not None  # staff() refused the request without one
        return StreamingResponse(
            self._stream(token),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    async def _stream(self, token: str) -> AsyncIterator[str]:
        yield "retry: 1000\nevent: ready\ndata: {}\n\n"
        async for moved in self.watch.follow(heartbeat_seconds=HEARTBEAT_SECONDS):
            # At every event and heartbeat: is the token still good, its user still staff?
            try:
                staff = (await self.door.viewer(self.door.tokens.subject(token))).is_staff
            except Unauthenticated:
                staff = False
            if not staff:
                yield "event: signed-out\ndata: {}\n\n"
                return
            yield "event: change\ndata: {}\n\n" if moved else ": still here\n\n"


class StaffOnly:
    """The console's GraphQL: the gateway's view, for console sessions only. Anyone else
    (anonymous, or a signed-in USER) is refused before the view runs, with a GraphQL error
    body and its HTTP status: the console's origin serves no public data, introspection
    included (the API's own port does). What the console runs is its own business, not
    the API's traffic: it stays out of the operation registry (and so out of replays)."""

    def __init__(self, graphql: ASGIApp, door: Door) -> None:
        self.graphql = graphql
        self.door = door

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = await self.door.check(Request(scope))
        if isinstance(found, Refused):
            await found.graphql_response()(scope, receive, send)
            return
        with unrecorded():
            await self.graphql(scope, receive, send)


def console_app(console: Console, graphql: ASGIApp, *, max_body_bytes: int) -> Starlette:
    app = Starlette(
        routes=[
            Route("/console", console.page),
            Route("/console/", console.page),
            Route("/console/session", console.session, methods=["POST"]),
            Route("/console/events", console.events),
            Route("/console/graphql", StaffOnly(graphql, console.door), methods=["POST"]),
            Mount("/console/static", StaticFiles(directory=STATIC), name="static"),
        ]
    )
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestIds)
    return app


def build(
    engine: AsyncEngine,
    tokens: Tokens,
    graphql: ASGIApp,
    *,
    link_minutes: int,
    session_seconds: int,
    watch_seconds: float,
    max_body_bytes: int,
) -> tuple[Starlette, Watch]:
    """The console app over the gateway's GraphQL view, and the watch to close at exit."""
    watch = Watch(engine, interval_seconds=watch_seconds)
    console = Console(
        door=Door(engine, tokens),
        links=ConsoleLinks(engine, link_minutes),
        watch=watch,
        sessions=Tokens(tokens.secret, session_seconds),
    )
    return console_app(console, graphql, max_body_bytes=max_body_bytes), watch


def port_of(port: int, console_port: int | None) -> int:
    """CONSOLE_PORT, else the port after the gateway's (a random one for a random one)."""
    if console_port is not None:
        return console_port
    return port + 1 if port else 0
