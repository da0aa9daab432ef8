"""The response cache's fast path, from the ASGI scope: a HIT is answered with what the
caller, the flags and the stored answer say, and nothing else is built; anything else is
left to the normal path as a value holding what was read and decided (the body, the
identity, the lookup's ticket), so nothing is read, identified or looked up twice."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive, Scope
from strawberry.http import GraphQLRequestData

from jewgo.db.session import RequestDatabase
from jewgo.flags.decide import Subject
from jewgo.flags.decisions import RequestDecisions
from jewgo.flags.snapshot import Snapshot
from jewgo.gateway.request.callers import Identified
from jewgo.gateway.request.identity import Identity
from jewgo.gateway.response_cache.cache import Ticket
from jewgo.gateway.response_cache.door import UNSET, Shape
from jewgo.gateway.response_cache.fast_path import (
    Early,
    FastPath,
    header_map,
    read_body,
    replaying,
)
from jewgo.gateway.response_cache.store import Entry
from jewgo.resolvers.domain import Role, Viewer
from jewgo.resolvers.errors import RateLimited
from jewgo.schema.refusal import Refusal
from jewgo.schema.visibility import Reach

# The fast path never touches the request's database: an engine that has never connected.
UNCONNECTED = create_async_engine("sqlite+aiosqlite://")
PAGE = b'{"query": "{ restaurants(first: 2) { totalCount } }"}'
STORED = b'{"data":{"restaurants":{"totalCount":2}}}'
VERSIONS = {"restaurants": "v4"}


class Door:
    """A response cache holding one answer under the key `k:<viewer>`."""

    def __init__(self, entry: Entry | None) -> None:
        self.entry = entry
        self.looked_up: list[str] = []

    def shape(self, sent: GraphQLRequestData) -> Shape | None:
        return (str(sent.query), Reach.ROLE)

    def key_for(
        self,
        viewer: Viewer | None,
        decisions: RequestDecisions,
        refusal: Refusal | None,
        shape: Shape | None,
    ) -> str | None:
        if refusal is not None:
            return None
        return f"k:{viewer.id if viewer is not None else 'anon'}"

    async def find(self, key: str, decisions: RequestDecisions) -> tuple[Entry | None, Ticket]:
        self.looked_up.append(key)
        return self.entry, Ticket(near=7)


class Callers:
    def __init__(self, viewer: Viewer | None = None, refusal: Refusal | None = None) -> None:
        self.viewer, self.refusal, self.calls = viewer, refusal, 0

    async def identify(
        self, scope: Scope, headers: Mapping[str, str], request_id: str
    ) -> Identified:
        self.calls += 1
        subject = Subject(self.viewer.id if self.viewer else None, False, "k", "salt")
        identity = Identity(self.viewer, subject, refusal=self.refusal)
        decisions = RequestDecisions(Snapshot({}, {}, {}, "salt", 1), subject)
        return Identified(identity, decisions, RequestDatabase(UNCONNECTED))


def entry() -> Entry:
    return Entry(STORED, VERSIONS, frozenset({"r:1"}), "etag", 100.0, 0.0, "Page")


def scope(*headers: tuple[bytes, bytes]) -> dict[str, Any]:
    sent = [(b"content-type", b"application/json"), *headers]
    return {"type": "http", "method": "POST", "headers": sent}


def chunks(*parts: bytes) -> tuple[Receive, list[int]]:
    """A receive that hands out `parts` as one body, and counts its calls."""
    calls = [0]

    async def receive() -> Message:
        calls[0] += 1
        n = calls[0] - 1
        return {"type": "http.request", "body": parts[n], "more_body": n < len(parts) - 1}

    return receive, calls


async def test_a_hit_is_the_stored_answer_with_this_requests_extensions() -> None:
    door, callers = Door(entry()), Callers()
    path = FastPath(door, callers.identify, json.loads)
    sent = scope((b"x-response-cache", b"1"))
    receive, _ = chunks(PAGE[:10], PAGE[10:])
    early = Early()
    hit = await path.answer(sent, receive, header_map(sent), "r-9", early)
    assert hit is not None
    assert json.loads(hit.body) == {
        "data": {"restaurants": {"totalCount": 2}},
        "extensions": {"requestId": "r-9", "versions": VERSIONS, "cache": "HIT"},
    }
    assert (hit.record.request_id, hit.record.user_id, hit.record.operation) == (
        "r-9",
        None,
        "Page",
    )
    assert sent == scope((b"x-response-cache", b"1"))  # a HIT leaves nothing behind


async def test_a_miss_leaves_the_body_the_identity_and_the_ticket_for_the_normal_path() -> None:
    door, callers = Door(None), Callers(Viewer(3, Role.USER))
    path = FastPath(door, callers.identify, json.loads)
    sent = scope()
    receive, _ = chunks(PAGE)
    early = Early()
    assert await path.answer(sent, receive, header_map(sent), "r-9", early) is None
    assert early.body == PAGE and early.ticket == Ticket(near=7)
    assert early.key == "k:3"  # the normal path keeps the answer under it
    assert early.identified is not None
    assert early.identified.identity.viewer == Viewer(3, Role.USER)
    assert door.looked_up == ["k:3"] and callers.calls == 1


async def test_a_refused_caller_is_not_looked_up() -> None:
    door, callers = Door(entry()), Callers(refusal=Refusal(RateLimited, "slow down"))
    path = FastPath(door, callers.identify, json.loads)
    sent = scope()
    receive, _ = chunks(PAGE)
    early = Early()
    assert await path.answer(sent, receive, header_map(sent), "r-9", early) is None
    assert early.ticket is None and door.looked_up == []


@pytest.mark.parametrize(
    "headers",
    [
        [(b"content-type", b"application/graphql")],
        [(b"content-type", b"application/json"), (b"x-query-cost", b"1")],
    ],
    ids=["not JSON", "a cost report"],
)
async def test_what_execution_must_answer_is_left_alone_unread(
    headers: list[tuple[bytes, bytes]],
) -> None:
    door, callers = Door(entry()), Callers()
    sent = {**scope(), "headers": headers}
    receive, calls = chunks(PAGE)
    path = FastPath(door, callers.identify, json.loads)
    early = Early()
    assert await path.answer(sent, receive, header_map(sent), "r-9", early) is None
    assert early == Early()  # nothing read, nothing decided
    assert calls == [0] and callers.calls == 0


async def test_a_body_that_is_not_one_operation_is_not_identified_here() -> None:
    door, callers = Door(entry()), Callers()
    path = FastPath(door, callers.identify, json.loads)
    for body in (b"[" + PAGE + b"]", b"{", b'{"query": "{ a }", "extensions": {"x": 1}}'):
        sent = scope()
        receive, _ = chunks(body)
        early = Early()
        assert await path.answer(sent, receive, header_map(sent), "r-9", early) is None
        assert early.identified is None
        assert early.body == body and early.ticket is UNSET
    assert callers.calls == 0 and door.looked_up == []


def test_headers_are_read_by_name_the_first_of_a_repeated_one() -> None:
    sent = {"headers": [(b"accept", b"a"), (b"x-one", b"1"), (b"accept", b"b")]}
    assert header_map(sent) == {"accept": "a", "x-one": "1"}


async def test_a_client_gone_before_its_body_is_a_disconnect() -> None:
    async def gone() -> Message:
        return {"type": "http.disconnect"}

    with pytest.raises(ClientDisconnect):
        await read_body(gone)


async def test_the_normal_path_is_given_the_body_again_then_the_rest() -> None:
    async def later() -> Message:
        return {"type": "http.disconnect"}

    receive = replaying(PAGE, later)
    assert await receive() == {"type": "http.request", "body": PAGE, "more_body": False}
    assert await receive() == {"type": "http.disconnect"}


async def test_a_lookup_that_fails_leaves_the_caller_identified_for_the_log() -> None:
    class Broken(Door):
        async def find(self, key: str, decisions: RequestDecisions) -> tuple[Entry | None, Ticket]:
            raise RuntimeError("the cache broke")

    callers = Callers(Viewer(3, Role.USER))
    path = FastPath(Broken(None), callers.identify, json.loads)
    sent = scope()
    receive, _ = chunks(PAGE)
    early = Early()
    with pytest.raises(RuntimeError):
        await path.answer(sent, receive, header_map(sent), "r-9", early)
    assert early.identified is not None and early.body == PAGE
