"""The fast path's memory of bodies: a repeated body is decoded and shaped once; what
does not decode to one plain operation is never held; bounded in entries and size."""

from __future__ import annotations

import json

from strawberry.http import GraphQLRequestData

from jewgo.gateway.response_cache.door import Shape
from jewgo.gateway.response_cache.fast_path import Bodies
from jewgo.schema.visibility import Reach


class Counting:
    def __init__(self) -> None:
        self.decoded = 0
        self.shaped = 0

    def decode(self, body: bytes) -> object:
        self.decoded += 1
        return json.loads(body)

    def shape(self, sent: GraphQLRequestData) -> Shape | None:
        self.shaped += 1
        return (str(sent.query), next(iter(Reach)))


def body(n: int = 1, pad: int = 0) -> bytes:
    return json.dumps({"query": f"{{ restaurant(id: {n}) {{ id }} }}" + " " * pad}).encode()


def test_a_repeated_body_is_decoded_and_shaped_once() -> None:
    bodies, counting = Bodies(), Counting()
    first = bodies.prepared(body(), counting.shape, counting.decode)
    again = bodies.prepared(body(), counting.shape, counting.decode)
    assert first is not None and again is first
    assert (counting.decoded, counting.shaped) == (1, 1)


def test_what_is_not_one_plain_operation_is_never_held() -> None:
    bodies, counting = Bodies(), Counting()
    for sent in (b"{", b"[1]", b'{"query": 5}', b'{"query": "{ a }", "variables": 3}'):
        for _ in range(2):
            assert bodies.prepared(sent, counting.shape, counting.decode) is None
    assert counting.decoded == 8 and counting.shaped == 0


def test_entries_and_body_size_are_bounded() -> None:
    bodies, counting = Bodies(entries=2, max_body_bytes=200), Counting()
    for n in range(3):
        bodies.prepared(body(n), counting.shape, counting.decode)
    bodies.prepared(body(0), counting.shape, counting.decode)  # forgotten: the oldest
    assert counting.decoded == 4
    for _ in range(2):
        bodies.prepared(body(9, pad=300), counting.shape, counting.decode)
    assert counting.decoded == 6  # too large to hold
