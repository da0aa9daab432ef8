"""The QueryLimits extension: refuses operations too big to be worth running
(QUERY_TOO_COMPLEX), before any resolver runs.

- tokens: counted on the query text before it is parsed (a huge document is never
  parsed); cached per text, as parsing is.
- depth: the deepest nesting of fields, following fragments; introspection's own
  nesting (`__schema`, `__type`) is not counted, so GraphiQL keeps working.
- aliases: every aliased field, fragments included.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from weakref import WeakKeyDictionary

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Source,
    TokenKind,
)
from graphql.language.lexer import Lexer
from strawberry.extensions import SchemaExtension

CODE = "QUERY_TOO_COMPLEX"


@lru_cache(maxsize=1024)
def token_count(query: str, ceiling: int) -> int:
    """Tokens in `query`, counting no further than `ceiling` + 1; a lexing error stops
    the count (the parser reports it properly)."""
    lexer = Lexer(Source(query))
    count = 0
    try:
        while lexer.advance().kind is not TokenKind.EOF:
            count += 1
            if count > ceiling:
                break
    except GraphQLError:
        pass
    return count


def _depth(
    selection: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    visiting: frozenset[str],
) -> int:
    deepest = 0
    for node in selection.selections if selection is not None else ():
        if isinstance(node, FieldNode):
            if node.name.value.startswith("__"):
                continue
            deepest = max(deepest, 1 + _depth(node.selection_set, fragments, visiting))
        elif isinstance(node, InlineFragmentNode):
            deepest = max(deepest, _depth(node.selection_set, fragments, visiting))
        elif isinstance(node, FragmentSpreadNode):
            name = node.name.value
            if name in fragments and name not in visiting:  # cycles are invalid anyway
                spread = fragments[name].selection_set
                deepest = max(deepest, _depth(spread, fragments, visiting | {name}))
    return deepest


def measure(document: DocumentNode) -> tuple[int, int]:
    """(depth, aliases) of a document."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    depth = max(
        (
            _depth(d.selection_set, fragments, frozenset())
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
        ),
        default=0,
    )
    aliases = 0
    stack = [d.selection_set for d in document.definitions if hasattr(d, "selection_set")]
    while stack:
        selection = stack.pop()
        for node in selection.selections if selection is not None else ():
            if isinstance(node, FieldNode) and node.alias is not None:
                aliases += 1
            if isinstance(node, FieldNode | InlineFragmentNode):
                stack.append(node.selection_set)
    return depth, aliases


_measured: WeakKeyDictionary[DocumentNode, tuple[int, int]] = WeakKeyDictionary()


class QueryLimits(SchemaExtension):
    def __init__(self, *, max_depth: int, max_aliases: int, max_tokens: int) -> None:
        self.max_depth = max_depth
        self.max_aliases = max_aliases
        self.max_tokens = max_tokens

    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query
        if query is not None and token_count(query, self.max_tokens) > self.max_tokens:
            raise GraphQLError(
                f"The query has more than {self.max_tokens} tokens", extensions={"code": CODE}
            )
        yield

    def on_validate(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        if document is not None:
            found = _measured.get(document)
            if found is None:
                found = _measured[document] = measure(document)
            depth, aliases = found
            if depth > self.max_depth:
                raise GraphQLError(
                    f"The query is {depth} fields deep; at most {self.max_depth} are allowed",
                    extensions={"code": CODE},
                )
            if aliases > self.max_aliases:
                raise GraphQLError(
                    f"The query has {aliases} aliases; at most {self.max_aliases} are allowed",
                    extensions={"code": CODE},
                )
        yield
