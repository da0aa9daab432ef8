"""Query texts, counted, parsed and validated once: a cache bounded in bytes.

Strawberry's ParserCache and ValidationCache (and an lru_cache on the token count) keep a
number of entries whatever their size: 300 distinct documents of 950 KB (comments are
nearly free of tokens) kept a worker 540 MB larger for good. Here only texts of at most
`max_length` characters are kept, and all entries together weigh at most `budget_bytes`;
the least recently used go first. An entry's weight is an upper bound of what it retains
(the text, its tokens and its parsed document, measured in
tests/unit/schema/extensions/test_documents.py), so the budget bounds the memory, not a count.

The DocumentCaching extension parses and validates through it (in place of Strawberry's
two caches); a document parsed for this request before execution (the gateway's cost
estimate) is taken from the request's context, so no text is parsed twice.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, Source, TokenKind, parse
from graphql.language.lexer import Lexer
from graphql.validation import ASTValidationRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from jewgo.schema.internals import graphql_schema

# Bytes an entry may retain per character of its text and per token (with its node),
# and for the entry itself: upper bounds of what tracemalloc measures (see the test).
BYTES_PER_CHARACTER = 6
BYTES_PER_TOKEN = 1000
BYTES_PER_ENTRY = 2048
DEFAULT_BUDGET_BYTES = 32 * 1024 * 1024
DEFAULT_MAX_LENGTH = 16 * 1024
Rules = tuple[type[ASTValidationRule], ...]


def token_count(query: str, ceiling: int | None = None) -> int:
    """Tokens in `query`, counting no further than `ceiling` + 1; a lexing error stops the
    count (the parser reports it properly)."""
    lexer = Lexer(Source(query))
    count = 0
    try:
        while lexer.advance().kind is not TokenKind.EOF:
            count += 1
            if ceiling is not None and count > ceiling:
                break
    except GraphQLError:
        pass
    return count


@dataclass(slots=True)
class _Entry:
    tokens: int
    weight: int
    document: DocumentNode | None = None
    validated: tuple[GraphQLSchema, Rules, list[GraphQLError]] | None = None


class Documents:
    """Token counts, parsed documents and validation results by query text."""

    def __init__(
        self, *, budget_bytes: int = DEFAULT_BUDGET_BYTES, max_length: int = DEFAULT_MAX_LENGTH
    ) -> None:
        self.budget_bytes = budget_bytes
        self.max_length = max_length
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._weight = 0

    @property
    def weight(self) -> int:
        """What the entries retain at most, in bytes (never above the budget)."""
        return self._weight

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, query: object) -> bool:
        return query in self._entries

    def _entry(self, query: str) -> _Entry | None:
        entry = self._entries.get(query)
        if entry is not None:
            self._entries.move_to_end(query)
            return entry
        if len(query) > self.max_length:
            return None
        # Counted whole: the text is short. Its document is weighed once it is parsed.
        text = BYTES_PER_ENTRY + BYTES_PER_CHARACTER * sys.getsizeof(query)
        entry = self._entries[query] = _Entry(token_count(query), 0)
        self._grow(entry, text)
        return entry

    def _grow(self, entry: _Entry, weight: int) -> None:
        """Adds `weight` to the newest entry, and evicts the oldest past the budget (the
        newest too, when it alone is over)."""
        entry.weight += weight
        self._weight += weight
        while self._weight > self.budget_bytes and self._entries:
            _, oldest = self._entries.popitem(last=False)
            self._weight -= oldest.weight

    def _kept(self, query: str, entry: _Entry) -> bool:
        return self._entries.get(query) is entry

    def tokens(self, query: str, ceiling: int) -> int:
        """As `token_count(query, ceiling)`, remembered for short texts."""
        entry = self._entry(query)
        if entry is None:
            return token_count(query, ceiling)
        return min(entry.tokens, ceiling + 1)

    def parse(self, query: str, **options: Any) -> DocumentNode:
        """The parsed document (a syntax error raises, and is not remembered)."""
        entry = self._entry(query)
        if entry is not None and entry.document is not None:
            return entry.document
        document = parse(query, **options)
        if entry is not None and self._kept(query, entry):
            entry.document = document
            self._grow(entry, BYTES_PER_TOKEN * entry.tokens)
        return document

    def validate(
        self, query: str, schema: GraphQLSchema, document: DocumentNode, rules: Rules
    ) -> list[GraphQLError]:
        """Strawberry's validation of `document` (parsed from `query`), remembered."""
        entry = self._entry(query)
        if entry is not None and entry.validated is not None:
            known_schema, known_rules, errors = entry.validated
            if known_schema is schema and known_rules == rules and entry.document is document:
                return errors
        errors = validate_document(schema, document, rules)
        if entry is not None and entry.document is document and self._kept(query, entry):
            entry.validated = (schema, rules, errors)
        return errors


class DocumentCaching(SchemaExtension):
    """Parses and validates through `Documents`, and takes a document the gateway parsed
    for this request already from the context's `documents`."""

    def __init__(self, documents: Documents) -> None:
        self.documents = documents

    def on_parse(self) -> Iterator[None]:
        execution = self.execution_context
        query = execution.query
        if query is not None:
            parsed: dict[str, DocumentNode] = getattr(execution.context, "documents", {})
            document = parsed.get(query)
            if document is None:
                document = self.documents.parse(query, **execution.parse_options)
            execution.graphql_document = document
        yield

    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        document = execution.graphql_document
        if execution.query is not None and document is not None:
            rules: Sequence[type[ASTValidationRule]] = execution.validation_rules
            execution.pre_execution_errors = self.documents.validate(
                execution.query, graphql_schema(execution.schema), document, tuple(rules)
            )
        yield
