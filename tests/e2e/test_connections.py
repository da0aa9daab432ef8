"""Hostile connections against `jewgo serve`: huge headers, slow headers, slow bodies,
idle connections past the limit, and forwarded addresses from untrusted peers."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.conftest import JEWGO, Templates, clone
from tests.support import Server, base_env, free_port, serving

pytestmark = pytest.mark.slow
TIMEOUT = 1.0


@pytest.fixture(scope="module")
async def guarded(
    templates: Templates, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Server]:
    root = tmp_path_factory.mktemp("guarded")
    database = await clone("sqlite", templates, root)
    port = free_port()
    env = base_env(
        DATABASE_URL=database.url,
        DATA_DIR=str(root),
        HTTP_MAX_HEADER_BYTES="8192",
        HTTP_HEADER_TIMEOUT_SECONDS=str(TIMEOUT),
        HTTP_BODY_TIMEOUT_SECONDS=str(TIMEOUT),
        MAX_CONNECTIONS="20",
        RATE_LIMIT_PER_MINUTE="5",
    )
    with serving([JEWGO, "serve", "--port", str(port), "--no-migrate"], env, root, port) as server:
        yield server
    await database.close()


def connect(server: Server) -> socket.socket:
    port = int(server.url.rsplit(":", 1)[1])
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


@pytest.fixture
def opened() -> Iterator[list[socket.socket]]:
    sockets: list[socket.socket] = []
    yield sockets
    for sock in sockets:
        sock.close()


def test_headers_past_the_limit_are_a_431(guarded: Server, opened: list[socket.socket]) -> None:
    sock = connect(guarded)
    opened.append(sock)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
    assert answer(sock).startswith(b"HTTP/1.1 431")


def test_headers_that_never_finish_are_a_408_and_closed(
    guarded: Server, opened: list[socket.socket]
) -> None:
    sock = connect(guarded)
    opened.append(sock)
    started = time.monotonic()
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # and nothing more
    assert answer(sock).startswith(b"HTTP/1.1 408")
    assert TIMEOUT * 0.9 <= time.monotonic() - started < TIMEOUT + 5


def test_a_body_that_never_finishes_is_closed(guarded: Server, opened: list[socket.socket]) -> None:
    sock = connect(guarded)
    opened.append(sock)
    sock.sendall(
        b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n" + b'{"query": "'
    )
    started = time.monotonic()
    answer(sock)  # the server hangs up rather than wait for the rest
    assert time.monotonic() - started < TIMEOUT + 5


def test_idle_connections_past_the_limit_are_refused_then_closed(
    guarded: Server, opened: list[socket.socket]
) -> None:
    opened.extend(connect(guarded) for _ in range(25))  # connected, never sending
    time.sleep(0.2)  # let the server accept them all
    refused = httpx.get(f"{guarded.url}/health", timeout=5)
    assert refused.status_code == 503
    deadline = time.monotonic() + TIMEOUT + 10
    while httpx.get(f"{guarded.url}/health", timeout=5).status_code != 200:
        assert time.monotonic() < deadline, "idle connections were never closed"
        time.sleep(0.1)


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(guarded: Server) -> None:
    statuses = [
        httpx.post(
            f"{guarded.url}/graphql",
            json={"query": "{ __typename }"},
            headers={"X-Forwarded-For": f"10.0.{n}.1"},
            timeout=5,
        ).status_code
        for n in range(8)
    ]
    # One address, whatever it claims to forward: at most its 5 a minute get through.
    assert statuses.count(200) <= 5 and statuses[-1] == 429, statuses
