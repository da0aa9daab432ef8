"""The TextSafety extension: refuses text no database can store, before anything runs.

PostgreSQL's text cannot hold NUL, and neither database can encode a lone UTF-16
surrogate (JSON allows both, as `\\u0000` and `\\ud800`). Such a string anywhere in the
variables or in the query's literals is BAD_USER_INPUT, on every backend alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from weakref import WeakKeyDictionary

from graphql import DocumentNode, GraphQLError, StringValueNode, visit
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension

MESSAGE = "Text may not contain NUL characters or unpaired surrogates"


def storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _all_storable(value: Any) -> bool:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return all(_all_storable(k) and _all_storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_all_storable(item) for item in value)
    return True


class _Literals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.safe = True

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        self.safe = self.safe and storable(node.value)


# Parsed documents are cached and shared, so each is checked once.
_checked: WeakKeyDictionary[DocumentNode, bool] = WeakKeyDictionary()


def _literals_storable(document: DocumentNode) -> bool:
    safe = _checked.get(document)
    if safe is None:
        visitor = _Literals()
        visit(document, visitor)
        safe = _checked[document] = visitor.safe
    return safe


class TextSafety(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        document = execution.graphql_document
        safe = _all_storable(execution.variables or {})
        if safe and document is not None:
            safe = _literals_storable(document)
        if not safe:
            raise GraphQLError(MESSAGE, extensions={"code": "BAD_USER_INPUT"})
        yield
