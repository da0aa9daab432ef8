"""Apollo's persisted query manifest: read whole, checked whole, written back the same."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from jewgo.gateway.operations.manifest import FORMAT, ManifestError, read, write
from jewgo.gateway.operations.registry import RegisteredOperation

BODY = "query Page { restaurants { totalCount } }"
ID = hashlib.sha256(BODY.encode()).hexdigest()


def manifest(*operations: Any, **top: Any) -> str:
    return json.dumps({"format": FORMAT, "version": 1, "operations": list(operations), **top})


def test_a_manifest_round_trips() -> None:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    registered = RegisteredOperation(ID, "Page", "query", BODY, at, at, 3)
    (entry,) = read(write([registered]))
    assert (entry.id, entry.name, entry.type, entry.body) == (ID, "Page", "query", BODY)


HIDDEN = 'query Q { me { id } } mutation Drop { deleteRestaurant(id: "1") }'


@pytest.mark.parametrize(
    ("name", "reason"),
    [("Drop", "type is query, but the operation named is a mutation"),
     (None, "must name one operation"), ("Nope", "must name one operation")],
)  # fmt: skip
def test_the_operation_named_has_the_type_given(name: str | None, reason: str) -> None:
    # A "query" entry whose name picks a mutation would be run as one (by replay, say).
    entry = {"id": hashlib.sha256(HIDDEN.encode()).hexdigest(), "name": name, "type": "query",
             "body": HIDDEN}  # fmt: skip
    with pytest.raises(ManifestError, match=reason):
        read(manifest(entry))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json", "not JSON"),
        ("[]", "not a manifest"),
        (json.dumps({"format": "relay", "version": 1, "operations": []}), "not a manifest"),
        (manifest(version=2), "version"),
        (json.dumps({"format": FORMAT, "version": 1, "operations": {}}), "must be a list"),
        (manifest("x"), "operations[0] must be an object"),
        (manifest({"id": "0" * 64, "name": "Page", "type": "query", "body": BODY}), "SHA-256"),
        (manifest({"id": ID, "name": "Page", "type": "fragment", "body": BODY}), "type"),
        (
            manifest({"id": ID, "name": "Page", "type": "mutation", "body": BODY}),
            "type is mutation, but the operation named is a query",
        ),
        (manifest({"id": ID, "name": 5, "type": "query", "body": BODY}), "name"),
        (manifest({"id": ID, "type": "query", "body": ""}), "body"),
        (
            manifest(
                {
                    "id": hashlib.sha256(b"query {").hexdigest(),
                    "type": "query",
                    "body": "query {",
                }
            ),
            "does not parse",
        ),
    ],
)
def test_anything_else_is_refused_saying_where_and_why(text: str, reason: str) -> None:
    with pytest.raises(ManifestError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        read(text)
