"""Apollo's persisted query manifest, read and written: the safelist's file format.

    {"format": "apollo-persisted-query-manifest", "version": 1,
     "operations": [{"id": "<sha256 of body>", "name": "Page", "type": "query",
                     "body": "query Page { ... }"}]}

A manifest is read whole and checked whole before anything is registered: every entry's
id must be the SHA-256 of its body, its type one of query, mutation or subscription, and
its body a document that parses and defines that operation.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, parse

from jewgo.gateway.operations.registry import TYPES, RegisteredOperation, document_hash

FORMAT = "apollo-persisted-query-manifest"
MAX_BODY_CHARACTERS = 100_000


class ManifestError(ValueError):
    """Not a manifest we can import; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    name: str | None
    type: str
    body: str


def _entry(index: int, raw: Any) -> Entry:
    where = f"operations[{index}]"
    if not isinstance(raw, dict):
        raise ManifestError(f"{where} must be an object with id, name, type and body")
    body, given, kind, name = raw.get("body"), raw.get("id"), raw.get("type"), raw.get("name")
    if not isinstance(body, str) or not body.strip() or len(body) > MAX_BODY_CHARACTERS:
        raise ManifestError(f"{where}.body must be a document of 1 to {MAX_BODY_CHARACTERS} chars")
    if given != document_hash(body):
        raise ManifestError(f"{where}.id must be the SHA-256 of its body ({document_hash(body)})")
    if kind not in TYPES:
        raise ManifestError(f"{where}.type must be one of {', '.join(TYPES)}")
    if name is not None and not isinstance(name, str):
        raise ManifestError(f"{where}.name must be a string or null")
    try:
        document = parse(body)
    except GraphQLError as exc:
        raise ManifestError(f"{where}.body does not parse: {exc.message}") from None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    named = [o for o in operations if name is None or (o.name and o.name.value == name)]
    if len(named) != 1:
        raise ManifestError(f"{where}.name must name one operation of the body")
    if named[0].operation.value != kind:
        raise ManifestError(f"{where}.type is {kind}, but the operation named is a "
                            f"{named[0].operation.value}")  # fmt: skip
    return Entry(given, name, kind, body)


def read(text: str) -> list[Entry]:
    """The entries of a manifest; ManifestError for anything that is not one."""
    try:
        manifest = json.loads(text)
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise ManifestError(f"not JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ManifestError(f'not a manifest: "format" must be "{FORMAT}"')
    if manifest.get("version") != 1:
        raise ManifestError('only "version": 1 manifests are understood')
    operations = manifest.get("operations")
    if not isinstance(operations, list):
        raise ManifestError('"operations" must be a list')
    return [_entry(index, raw) for index, raw in enumerate(operations)]


def write(operations: Sequence[RegisteredOperation]) -> str:
    entries = [
        {"id": op.hash, "name": op.name, "type": op.type, "body": op.document} for op in operations
    ]
    return json.dumps({"format": FORMAT, "version": 1, "operations": entries}, indent=2) + "\n"
