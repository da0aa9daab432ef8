"""What only operators should read: `/ready` (instance, flag revision, components) and
`/metrics` (flag stages, per-version figures). `/health` stays public.

Either on a listener of their own (METRICS_PORT: every worker of `jewgo serve --workers N`
binds it with SO_REUSEPORT, and the Prometheus samples are the workers' sum), or on the
main port behind a bearer token (METRICS_TOKEN). With neither, they are on the main port
for anyone, which only development allows.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import socket
from collections.abc import Awaitable, Callable, Iterator

import structlog
import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp

log = structlog.get_logger("jewgo.internal")
Endpoint = Callable[[Request], Awaitable[Response]]


def behind_token(endpoint: Endpoint, token: str | None) -> Endpoint:
    """`endpoint` for callers that present `Authorization: Bearer <token>` (when set)."""
    if token is None:
        return endpoint
    expected = f"Bearer {token}".encode()

    async def guarded(request: Request) -> Response:
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return JSONResponse(
                {"status": "unauthorized"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="jewgo-metrics"'},
            )
        return await endpoint(request)

    return guarded


class _Quiet(uvicorn.Server):
    """A server that leaves signals to the gateway's own: a SIGTERM stops the gateway, whose
    lifespan ends this one's streams, then this one (uvicorn's handlers, installed over
    the main server's, would make this server take the signal first and wait for them)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class InternalListener:
    """A small server of its own for `app`, started and stopped by the app's lifespan."""

    def __init__(self, app: ASGIApp, host: str, port: int, *, name: str = "internal") -> None:
        self._app = app
        self._host = host
        self._port = port
        self._name = name
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    def _socket(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET6 if ":" in self._host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Each worker binds the same port; the kernel hands connections to any of them.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((self._host, self._port))
        return sock

    async def start(self) -> None:
        config = uvicorn.Config(
            self._app,
            lifespan="off",
            log_config=None,
            access_log=False,
            # Open event streams (the console's) are not waited for longer than this.
            timeout_graceful_shutdown=2,
        )
        self._server = _Quiet(config)
        sock = self._socket()
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name=self._name)
        log.info(f"{self._name} listener", host=self._host, port=self._port)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._server = self._task = None
