"""Hostile connections against `jewgo serve`: huge headers, slow headers, slow bodies,
idle connections past the limit, and forwarded addresses from untrusted peers; and a
proxy's idle keep-alive connection across a graceful shutdown."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import JEWGO, Templates, clone
from tests.support import Database, Server, base_env, free_port, serving

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


def response(sock: socket.socket) -> bytes:
    """One response (with a Content-Length) from a connection that stays open."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(65536)
    head, body = received.split(b"\r\n\r\n", 1)
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.lower().split(b"\r\n")
        if line.startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head


@pytest.fixture
async def database(templates: Templates, tmp_path: Path) -> AsyncIterator[Database]:
    database = await clone("sqlite", templates, tmp_path)
    yield database
    await database.close()


def test_an_idle_connection_of_a_stopping_server_still_answers_its_next_request(
    database: Database, tmp_path: Path, opened: list[socket.socket]
) -> None:
    """A proxy (nginx) sends a request on an idle keep-alive connection at the moment the
    instance stops: closed under it, that request is a 502 (nginx passes no POST it has sent
    on to another instance). Stopping, the server leaves idle connections open and answers
    what still arrives on them with `connection: close` (deploy/nginx.conf, the e2e test
    test_behind_nginx)."""
    port = free_port()
    env = base_env(DATABASE_URL=database.url, DATA_DIR=str(tmp_path), HTTP_KEEP_ALIVE_SECONDS="60")
    command = [JEWGO, "serve", "--port", str(port), "--no-migrate"]
    with serving(command, env, tmp_path, port) as server:
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        opened.append(sock)
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert response(sock).startswith(b"HTTP/1.1 200")  # the connection is idle now

        os.killpg(server.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while True:  # until the server refuses new connections: it is stopping
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except ConnectionRefusedError:
                break
            assert time.monotonic() < deadline, "the server never stopped listening"
            time.sleep(0.05)

        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        last = answer(sock)  # then the server closes the connection
        assert last.startswith(b"HTTP/1.1 200"), last
        assert b"connection: close" in last.lower()
        server.process.wait(timeout=30)  # and it exits (by the SIGTERM uvicorn raises again)
