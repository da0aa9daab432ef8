"""Who may share a cached response: the one place that says which fields depend on who asks.

The response cache keys every answer on the caller's visibility class: `anonymous`, or
the caller's role, or the caller themselves when the selection reaches a field declared
in `VIEWER_FIELDS` (its value differs between two callers of the same role). An
operation whose root fields are not all in `CACHEABLE_ROOTS` (flags, rollouts, health,
the operation registry, introspection) is never cached: those are not invalidated by
domain writes. Each declaration has a test in tests/unit/schema/test_visibility.py.
"""

from __future__ import annotations

from enum import Enum

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLSchema,
    OperationDefinitionNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    visit,
)

# (type, field) → why its value depends on the caller, not only on the caller's role.
VIEWER_FIELDS: dict[tuple[str, str], str] = {
    ("Query", "me"): "the caller's own record",
    ("Query", "review"): "a review not APPROVED is visible to its author",
    ("Query", "reviews"): "a status filter other than APPROVED shows the caller's own",
    ("User", "email"): "a user's address, reached through `me` (or an ADMIN's `users`)",
}
# The root fields whose answers every write through v3 or v4 invalidates exactly.
CACHEABLE_ROOTS = frozenset(
    {"restaurants", "restaurant", "reviews", "review", "users", "user", "me", "statistics"}
)


class Reach(Enum):
    """How widely one cached answer may be shared."""

    ROLE = "role"  # every caller of the same role (anonymous callers among themselves)
    USER = "user"  # the caller alone


class _Fields(Visitor):
    def __init__(self, info: TypeInfo) -> None:
        super().__init__()
        self.info = info
        self.per_user = False
        self.roots_ok = True

    def enter_field(self, node: FieldNode, *_: object) -> None:
        parent = self.info.get_parent_type()
        if parent is None:
            self.roots_ok = False  # a field the schema does not know: validation refuses it
            return
        name = node.name.value
        if (parent.name, name) in VIEWER_FIELDS:
            self.per_user = True
        if parent.name == "Query" and name not in CACHEABLE_ROOTS and name != "__typename":
            self.roots_ok = False
        if name.startswith("__") and name != "__typename":
            self.roots_ok = False
        field = self.info.get_field_def()
        if field is not None and get_named_type(field.type).name.startswith("__"):
            self.roots_ok = False


def reach(schema: GraphQLSchema, document: DocumentNode, operation: str | None) -> Reach | None:
    """The reach of `operation` in `document`, or None when it may not be cached (not a
    query, an unknown operation, a root field outside CACHEABLE_ROOTS). Every fragment
    of the document counts, used or not: the answer errs towards USER, never wider."""
    queries = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [q for q in queries if operation is None or (q.name and q.name.value == operation)]
    if len(chosen) != 1 or (operation is None and len(queries) != 1):
        return None
    if chosen[0].operation.value != "query":
        return None
    info = TypeInfo(schema)
    fields = _Fields(info)
    visit(document, TypeInfoVisitor(info, fields))
    if not fields.roots_ok:
        return None
    return Reach.USER if fields.per_user else Reach.ROLE
