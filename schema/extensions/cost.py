"""The static cost of an operation, estimated before it runs, in the manner of Apollo's
demand control (the IBM cost directives' static analysis), read off the schema:

- a field of an object type costs 1 for each object, plus its selections; a scalar or
  enum costs 0, unless it runs its own statement (OWN_STATEMENT: `totalCount`, and
  `decisionFor` which reads a user), which costs 1;
- a list multiplies the cost of one item by its size: a field's `first` (its literal, a
  variable's value or default, or the argument's default; MAX_PAGE_SIZE for a variable
  with neither), clamped to 0..MAX_PAGE_SIZE as larger pages are refused anyway. A
  connection's `edges` take the size of the connection's `first`; a list without one
  (the statistics' breakdowns, a flag's overrides) counts `list_size` items;
- each mutation field costs MUTATION_FIELD more (its writes, in a transaction of its own;
  Apollo adds 10 per mutation operation);
- fragments are expanded (each measured once, in dependency order, and multiplied where
  spread; spread again in the same selection, a fragment merges and costs nothing more),
  @skip and @include are ignored (counted as included: an upper bound), and
  introspection's fields cost 1 each, their selections nothing (the schema bounds them).

`estimate` is linear in the document: a selection's cost is kept as (fixed, per item of
the enclosing connection), so a fragment's measure holds wherever it is spread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
)

from jewgo.schema.extensions.fragments import in_dependency_order
from jewgo.schema.extensions.text import MAX_INTEGER_DIGITS

OWN_STATEMENT = frozenset(
    {
        "RestaurantConnection.totalCount",
        "ReviewConnection.totalCount",
        "UserConnection.totalCount",
        "FeatureFlag.decisionFor",
    }
)
SLICING_ARGUMENT = "first"
SIZED_FIELDS = frozenset({"edges"})
MUTATION_FIELD = 10
DEFAULT_LIST_SIZE = 10
# Estimates stop growing here: 2^53 - 1 is the largest integer a JSON client reads exactly.
CEILING = 2**53 - 1

Cost = tuple[int, int]  # (fixed, per item of the enclosing connection)


@dataclass(frozen=True, slots=True)
class Estimate:
    cost: int
    # Selections looked at: at most those written in the document, however it expands.
    visited: int


def _capped(value: int) -> int:
    return min(value, CEILING)


class _Walk:
    """One estimate: the variables in force, and the fragments measured so far."""

    def __init__(
        self,
        model: CostModel,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
    ) -> None:
        self.model = model
        self.variables = dict(variables)
        self.defaults: dict[str, ValueNode | None] = {
            d.variable.name.value: d.default_value for d in operation.variable_definitions or ()
        }
        self.fragments: dict[str, Cost] = {}
        self.visited = 0

    def selection(self, selection: SelectionSetNode | None, parent: GraphQLNamedType) -> Cost:
        fixed = per_item = 0
        fields: Mapping[str, GraphQLField] = {}
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            fields = parent.fields
        spread: set[str] = set()  # a fragment spread again in one selection merges: no cost
        for node in selection.selections if selection is not None else ():
            self.visited += 1
            cost: Cost = (0, 0)
            if isinstance(node, FieldNode):
                name = node.name.value
                if name in ("__schema", "__type"):
                    cost = (1, 0)
                elif name in fields:  # unknown fields cost nothing: validation refuses them
                    cost = self.field(node, fields[name], parent)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                inner = self.model.type(condition.name.value) if condition else parent
                cost = self.selection(node.selection_set, inner) if inner else (0, 0)
            elif isinstance(node, FragmentSpreadNode) and node.name.value not in spread:
                spread.add(node.name.value)
                cost = self.fragments.get(node.name.value, (0, 0))
            fixed, per_item = _capped(fixed + cost[0]), _capped(per_item + cost[1])
        return fixed, per_item

    def field(self, node: FieldNode, definition: GraphQLField, parent: GraphQLNamedType) -> Cost:
        extra = MUTATION_FIELD if parent is self.model.mutation else 0
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return extra + (f"{parent.name}.{node.name.value}" in OWN_STATEMENT), 0
        first = self.first(node, definition)
        fixed, per_item = self.selection(node.selection_set, named)
        items = first if first is not None else self.model.list_size
        one = _capped(1 + fixed + items * per_item)
        if not is_list_type(get_nullable_type(definition.type)):
            return extra + one, 0
        if first is None and node.name.value in SIZED_FIELDS:
            return extra, one  # a connection's edges: as many as the connection's `first`
        return _capped(extra + items * one), 0

    def first(self, node: FieldNode, definition: GraphQLField) -> int | None:
        """The page size a field's `first` asks for; None for a field without one."""
        argument = definition.args.get(SLICING_ARGUMENT)
        if argument is None:
            return None
        given = [a.value for a in node.arguments or () if a.name.value == SLICING_ARGUMENT]
        value: Any = self.value(given[0]) if given else argument.default_value
        size = self.model.max_page_size
        if isinstance(value, int) and not isinstance(value, bool):
            size = max(0, min(value, size))
        return size

    def value(self, node: ValueNode) -> Any:
        if isinstance(node, IntValueNode):
            # Past MAX_INTEGER_DIGITS a literal is refused anyway (TextSafety), and Python
            # would refuse to convert one of 4,300 digits: count it as the largest page.
            if len(node.value.lstrip("-")) > MAX_INTEGER_DIGITS:
                return None
            return int(node.value)
        if isinstance(node, VariableNode):
            name = node.name.value
            if name in self.variables:
                return self.variables[name]
            default = self.defaults.get(name)
            return self.value(default) if default is not None else None
        return None


class CostModel:
    """Estimates the cost of operations against one schema."""

    def __init__(
        self, schema: GraphQLSchema, *, max_page_size: int, list_size: int = DEFAULT_LIST_SIZE
    ) -> None:
        self.schema = schema
        self.max_page_size = max_page_size
        self.list_size = list_size
        self.mutation = schema.mutation_type

    def type(self, name: str) -> GraphQLNamedType | None:
        return self.schema.get_type(name)

    def root(self, operation: OperationDefinitionNode) -> GraphQLObjectType | None:
        return {
            OperationType.QUERY: self.schema.query_type,
            OperationType.MUTATION: self.schema.mutation_type,
            OperationType.SUBSCRIPTION: self.schema.subscription_type,
        }[operation.operation]

    def estimate(
        self,
        document: DocumentNode,
        operation_name: str | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> Estimate:
        """The cost of the operation that `operation_name` picks; 0 when it picks none
        (execution refuses the document, and nothing runs)."""
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operation_name is not None:
            named = (o for o in operations if o.name is not None and o.name.value == operation_name)
            operation = next(named, None)
        else:
            operation = operations[0] if len(operations) == 1 else None
        root = self.root(operation) if operation is not None else None
        if operation is None or root is None:
            return Estimate(0, 0)
        walk = _Walk(self, operation, variables if isinstance(variables, Mapping) else {})
        for fragment in in_dependency_order(document):
            condition = self.type(fragment.type_condition.name.value)
            if condition is not None:
                walk.fragments[fragment.name.value] = walk.selection(
                    fragment.selection_set, condition
                )
        fixed, per_item = walk.selection(operation.selection_set, root)
        return Estimate(_capped(fixed + self.list_size * per_item), walk.visited)
