"""Request ids minted without a system call each: distinct, 32 hex digits, and a forked
worker's differ from its parent's."""

from __future__ import annotations

import os
import re

from jewgo.gateway.http.middleware import new_request_id


def test_ids_are_distinct_hex() -> None:
    ids = [new_request_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)


def test_a_forked_child_mints_other_ids() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id, then out without pytest's teardown
        os.write(write, new_request_id().encode())
        os._exit(0)
    os.close(write)
    theirs = os.read(read, 64).decode()
    os.waitpid(pid, 0)
    ours = new_request_id()
    assert len(theirs) == 32 and theirs[:16] != ours[:16]
