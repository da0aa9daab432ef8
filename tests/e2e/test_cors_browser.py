"""A page on another origin calls the API from Chromium: allowed through CORS (with a
preflight for JSON and Authorization), refused from an origin not in CORS_ORIGINS."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.async_api import expect

from jewgo.gateway.request.auth import Tokens
from tests.browser import OfflinePage
from tests.support import JWT_SECRET, USER_ID, Server, free_port

pytestmark = pytest.mark.slow
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>frontend</title>
</head><body><main><output id="result">waiting</output></main><script>
fetch(%(api)r, {method: "POST", headers: {"Content-Type": "application/json",
  "Authorization": "Bearer %(token)s"},
  body: JSON.stringify({query: "{ me { name } statistics { totalRestaurants } }"})})
  .then(r => r.json().then(b => [r.headers.get("X-Request-Id"), b]))
  .then(([id, b]) => { document.getElementById("result").textContent =
     "ok " + b.data.me.name + " " + b.data.statistics.totalRestaurants + " " + (id ? "id" : "-"); })
  .catch(e => { document.getElementById("result").textContent = "blocked " + e.name; });
</script></body></html>"""


@contextmanager
def frontend(port: int, page: str) -> Iterator[str]:
    """A page served on http://localhost:<port>, as a frontend's dev server would."""
    body = page.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def page_for(live: Server) -> str:
    token = Tokens(JWT_SECRET, 3600).issue(USER_ID)
    return PAGE % {"api": f"{live.url}/graphql", "token": token}


async def test_a_page_on_an_allowed_origin_reads_the_api(
    live_gateway: Server, frontend_port: int, offline_page: OfflinePage
) -> None:
    with frontend(frontend_port, page_for(live_gateway)) as url:
        await offline_page.page.goto(url)
        result = offline_page.page.locator("#result")
        await expect(result).to_have_text("ok Julia Adler 524 id", timeout=15_000)
    assert offline_page.errors == [] and offline_page.blocked == []


async def test_a_page_on_another_origin_is_refused_by_the_browser(
    live_gateway: Server, offline_page: OfflinePage
) -> None:
    with frontend(free_port(), page_for(live_gateway)) as url:
        await offline_page.page.goto(url)
        result = offline_page.page.locator("#result")
        await expect(result).to_have_text("blocked TypeError", timeout=15_000)
    # Chromium reports the refused preflight on the console: that is the point here.
    assert any("CORS" in error or "Access-Control" in error for error in offline_page.errors)
