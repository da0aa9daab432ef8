"""The TextSafety extension: refuses text no database can store, before anything runs.

PostgreSQL's text cannot hold NUL, and neither database can encode a lone UTF-16
surrogate (JSON allows both, as `\\u0000` and `\\ud800`). Such a string anywhere in the
variables or in the query's literals is BAD_USER_INPUT, on every backend alike. So is an
integer literal longer than any value of the schema's (Python refuses to convert one of
4,300 digits, which would otherwise fail inside validation), and a string longer than any
input's bound: every field also has a bound of its own (resolvers/validation.py), this one
keeps a string that no field could take from reaching any resolver at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from weakref import WeakKeyDictionary

from graphql import DocumentNode, GraphQLError, IntValueNode, StringValueNode, visit
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension

from jewgo.resolvers.validation import storable

MESSAGE = "Text may not contain NUL characters or unpaired surrogates"
# Int is 32 bits and IDs are at most 10 digits; a Float literal needs no more either.
MAX_INTEGER_DIGITS = 100
INTEGER_MESSAGE = f"Integer literals may have at most {MAX_INTEGER_DIGITS} digits"
# Longer than the longest bound of a field (a review's 10,000 characters).
MAX_TEXT_CHARACTERS = 100_000
LENGTH_MESSAGE = f"Strings may have at most {MAX_TEXT_CHARACTERS} characters"


def _problem(text: str) -> str | None:
    if len(text) > MAX_TEXT_CHARACTERS:
        return LENGTH_MESSAGE
    return None if storable(text) else MESSAGE


def _variables_problem(value: Any) -> str | None:
    """The first problem of any string in the variables (bodies are bounded in depth)."""
    if isinstance(value, str):
        return _problem(value)
    if isinstance(value, dict):
        items = [text for pair in value.items() for text in pair]
    elif isinstance(value, list):
        items = value
    else:
        return None
    for item in items:
        if problem := _variables_problem(item):
            return problem
    return None


class _Literals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.problem: str | None = None

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if self.problem is None:
            self.problem = _problem(node.value)

    def enter_int_value(self, node: IntValueNode, *_: Any) -> None:
        if self.problem is None and len(node.value.lstrip("-")) > MAX_INTEGER_DIGITS:
            self.problem = INTEGER_MESSAGE


# Parsed documents are cached and shared, so each is checked once.
_checked: WeakKeyDictionary[DocumentNode, str | None] = WeakKeyDictionary()


def _literal_problem(document: DocumentNode) -> str | None:
    if document in _checked:
        return _checked[document]
    visitor = _Literals()
    visit(document, visitor)
    _checked[document] = visitor.problem
    return visitor.problem


class TextSafety(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        # Before validation: validating a literal converts it (and may fail doing so).
        document = self.execution_context.graphql_document
        problem = _literal_problem(document) if document is not None else None
        if problem is not None:
            raise GraphQLError(problem, extensions={"code": "BAD_USER_INPUT"})
        yield

    def on_execute(self) -> Iterator[None]:
        problem = _variables_problem(self.execution_context.variables or {})
        if problem is not None:
            raise GraphQLError(problem, extensions={"code": "BAD_USER_INPUT"})
        yield
