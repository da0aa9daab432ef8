"""ASGI middleware (pure ASGI: BaseHTTPMiddleware costs a task per request)."""

from __future__ import annotations

import itertools
import json
import os
import re
import secrets

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jewgo.gateway.http.state import SCOPE_KEY, RequestState
from jewgo.gateway.request.bodies import BodyTooLarge

# A caller's id is echoed only when it is short and plain; otherwise we mint one.
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class _Ids:
    """Request ids: 16 random hex digits per process, then a counter (uuid4 read the
    system's random source at every request); a forked child draws its own prefix."""

    prefix = secrets.token_hex(8)
    counter = itertools.count()

    @classmethod
    def renew(cls) -> None:
        cls.prefix, cls.counter = secrets.token_hex(8), itertools.count()


os.register_at_fork(after_in_child=_Ids.renew)


def new_request_id() -> str:
    """32 hex digits, unique to this process's life."""
    return f"{_Ids.prefix}{next(_Ids.counter):016x}"


def request_id_from(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = str(value.decode("latin-1"))
            if _ACCEPTABLE_ID.fullmatch(text):
                return text
            break
    return new_request_id()


class RequestIds:
    """Takes `X-Request-Id` from the request (or makes one) and returns it on the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)
        scope[SCOPE_KEY] = RequestState(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("X-Request-Id", request_id)
            await send(message)

        await self.app(scope, receive, send_with_id)


class BodyLimit:
    """Refuses request bodies over `max_bytes` with HTTP 413, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(scope, send)
                return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except BodyTooLarge:
            await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        state: RequestState | None = scope.get(SCOPE_KEY)
        request_id = state.request_id if state is not None else ""
        body = json.dumps(
            {
                "data": None,
                "errors": [
                    {
                        "message": f"The request body is larger than {self.max_bytes} bytes",
                        "extensions": {"code": "BAD_USER_INPUT"},
                    }
                ],
                "extensions": {"requestId": request_id},
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
