"""uvicorn's httptools protocol with the limits a public listener needs.

uvicorn bounds neither the size of a request's headers (httptools reads 16 MB of them
happily) nor how long a client may take to send them or its body, so slow or huge
requests can hold connections and memory without end. This protocol adds, per request:
- headers (request line included) of at most HTTP_MAX_HEADER_BYTES: past it, 431;
- headers complete within HTTP_HEADER_TIMEOUT_SECONDS of the request's first byte (or of
  the connection's opening): past it, 408 and the connection closed;
- the body complete within HTTP_BODY_TIMEOUT_SECONDS of the headers: past it, the
  connection is closed (the application sees the client go away).
And a graceful shutdown (SIGTERM) that a proxy's reused connections survive: uvicorn closes
an idle keep-alive connection at once, which races with a proxy sending a request on it (a
request nginx has sent it will not pass on to another instance when it is a POST, so the
caller gets a 502). Here an idle connection stays open: a request that still arrives on it
is answered with `connection: close`; otherwise the proxy's idle timeout (shorter than
HTTP_KEEP_ALIVE_SECONDS: deploy/nginx.conf) or the gateway's closes it. New connections are
refused from the start (the listener closes), which a proxy safely retries elsewhere.
Keep-alive, the concurrency limit and trusted proxies are uvicorn's own settings.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

# Read once per worker from the environment (`jewgo serve` puts the settings there).
MAX_HEADER_BYTES = int(os.environ.get("HTTP_MAX_HEADER_BYTES", "32768"))
HEADER_TIMEOUT = float(os.environ.get("HTTP_HEADER_TIMEOUT_SECONDS", "10"))
BODY_TIMEOUT = float(os.environ.get("HTTP_BODY_TIMEOUT_SECONDS", "30"))


class HeadersTooLarge(Exception):
    """Raised from the parser's callback; uvicorn then answers through send_400_response."""


class GuardedProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._header_bytes = 0
        self._refusal: int | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._draining = False

    def _arm(self, seconds: float, status: int | None) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._expired, status)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self, status: int | None) -> None:
        self._timer = None
        if self.transport is None or self.transport.is_closing():
            return
        if status is not None:
            self._answer(status, "The request took too long to arrive")
        else:
            self.transport.close()

    def _answer(self, status: int, message: str) -> None:
        body = message.encode("ascii")
        self.transport.write(
            b"".join(
                [
                    STATUS_LINE[status],
                    b"content-type: text/plain; charset=utf-8\r\n",
                    b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                    b"connection: close\r\n\r\n",
                    body,
                ]
            )
        )
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(HEADER_TIMEOUT, 408)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        self._arm(HEADER_TIMEOUT, 408)

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES:
            self._refusal = 431
            raise HeadersTooLarge

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        # The body has its own deadline; with no body, the message completes at once.
        self._arm(BODY_TIMEOUT, None)
        super().on_headers_complete()
        if self._draining and self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False  # answered with `connection: close`, then closed

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def shutdown(self) -> None:
        """The server stops (uvicorn calls this on every connection): the request under
        way, and any that still arrives, is answered and the connection closed after it; an
        idle one is left to the client's or the keep-alive's timeout, not closed at once."""
        self._draining = True
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False

    def send_400_response(self, msg: str) -> None:
        if self._refusal == 431:
            self._answer(431, f"Request headers larger than {MAX_HEADER_BYTES} bytes")
            return
        super().send_400_response(msg)
