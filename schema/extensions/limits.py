"""The QueryLimits extension: refuses operations too big to be worth running
(QUERY_TOO_COMPLEX), before any resolver runs, and before validation.

- tokens: counted on the query text before it is parsed (a huge document is never
  parsed); remembered per short text, as parsing is (`schema.extensions.documents`).
- depth: the deepest nesting of fields, following fragments; introspection's own
  nesting (`__schema`, `__type`) is not counted, so GraphiQL keeps working.
- aliases: every aliased field as the operations expand it: a fragment's aliases count
  once for each time it is spread.
- repeats: the fields of one response name and the fragment spreads at one place of the
  response, and the pairs of them that validation's field merging would compare
  (`schema.extensions.overlaps`): past its bounds validation's work would grow with their square.

Every measure is linear in the document: each fragment is measured once, in dependency
order, and a spread adds its fragment's measure (`schema.extensions.fragments`); the repeats walk
stops at a bounded number of selections. A request's cost spans its batch, so the
gateway weighs it before execution (`gateway.request.demand`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple
from weakref import WeakKeyDictionary

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension

from jewgo.schema.extensions.documents import Documents
from jewgo.schema.extensions.fragments import in_dependency_order
from jewgo.schema.extensions.overlaps import Overlaps, excess, overlaps

CODE = "QUERY_TOO_COMPLEX"


class Shape(NamedTuple):
    depth: int
    aliases: int
    # Selections looked at to measure it: at most the selections in the document.
    visited: int


class _Measure:
    def __init__(self) -> None:
        self.fragments: dict[str, tuple[int, int]] = {}
        self.visited = 0

    def selection(self, selection: SelectionSetNode | None) -> tuple[int, int]:
        """(depth, aliases) of a selection set, its fragments looked up."""
        deepest = aliases = 0
        for node in selection.selections if selection is not None else ():
            self.visited += 1
            if isinstance(node, FieldNode):
                depth, inner = self.selection(node.selection_set)
                aliases += inner + (node.alias is not None)
                if not node.name.value.startswith("__"):
                    deepest = max(deepest, 1 + depth)
                continue
            if isinstance(node, InlineFragmentNode):
                depth, inner = self.selection(node.selection_set)
            elif isinstance(node, FragmentSpreadNode):
                # Unknown or on a cycle: empty here, and refused by validation.
                depth, inner = self.fragments.get(node.name.value, (0, 0))
            else:
                continue
            deepest, aliases = max(deepest, depth), aliases + inner
        return deepest, aliases


def measure(document: DocumentNode) -> Shape:
    """The depth of the deepest operation of a document, and the aliases of them all."""
    walk = _Measure()
    for fragment in in_dependency_order(document):
        walk.fragments[fragment.name.value] = walk.selection(fragment.selection_set)
    depth = aliases = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            deepest, inner = walk.selection(definition.selection_set)
            depth, aliases = max(depth, deepest), aliases + inner
    return Shape(depth, aliases, walk.visited)


_measured: WeakKeyDictionary[DocumentNode, tuple[Shape, Overlaps]] = WeakKeyDictionary()


class QueryLimits(SchemaExtension):
    def __init__(
        self,
        *,
        max_depth: int,
        max_aliases: int,
        max_tokens: int,
        documents: Documents,
    ) -> None:
        self.max_depth = max_depth
        self.max_aliases = max_aliases
        self.max_tokens = max_tokens
        self.documents = documents

    def on_parse(self) -> Iterator[None]:
        execution = self.execution_context
        query = execution.query
        # What the gateway parsed for this request has passed this count already.
        counted = query in getattr(execution.context, "documents", {})
        tokens = self.documents.tokens(query, self.max_tokens) if query and not counted else 0
        if tokens > self.max_tokens:
            raise GraphQLError(
                f"The query has more than {self.max_tokens} tokens", extensions={"code": CODE}
            )
        yield

    def on_validate(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        if document is not None:
            known = _measured.get(document)
            if known is None:
                known = _measured[document] = (measure(document), overlaps(document))
            found, repeats = known
            if found.depth > self.max_depth:
                raise GraphQLError(
                    f"The query is {found.depth} fields deep; at most {self.max_depth} are allowed",
                    extensions={"code": CODE},
                )
            if found.aliases > self.max_aliases:
                raise GraphQLError(
                    f"The query has {found.aliases} aliases; at most {self.max_aliases} are "
                    "allowed",
                    extensions={"code": CODE},
                )
            problem = excess(repeats)
            if problem is not None:
                raise GraphQLError(problem, extensions={"code": CODE})
        yield
