"""Shopify's calculated query cost and the leaky bucket that pays for it.

Cost rules (shopify.md §2): scalars and enums 0, objects 1, connections 2 + size × (cost of one node) where size is
`first`/`last`, mutations 10. The requested cost is computed from the document before execution (sizes from the
arguments); the actual cost walks the response (sizes from what was returned). The bucket is charged the requested
cost up front and refunded the difference afterwards, as Shopify does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from graphql import (FieldNode, FragmentSpreadNode, GraphQLList, GraphQLObjectType, GraphQLSchema,
                     InlineFragmentNode, get_named_type, get_nullable_type, is_leaf_type)
from graphql.execution.values import get_argument_values

from app.shopify.sandbox.errors import document_error

MAX_QUERY_COST = 1000
MAX_PAGE_SIZE = 250
MUTATION_COST = 10


class CostWalker:
    """Walks an operation; with `data` it measures the actual cost, without it the requested cost."""

    def __init__(self, schema: GraphQLSchema, fragments: dict, variables: dict) -> None:
        self.schema, self.fragments, self.variables = schema, fragments, variables
        self.errors: list[dict] = []

    def operation(self, root_type: GraphQLObjectType, selection_set, data=None, measure=False, mutation=False) -> int:
        if mutation:
            return MUTATION_COST * sum(1 for _ in self._fields(root_type, selection_set))
        return self.selection(root_type, selection_set, data, measure)

    def selection(self, parent, selection_set, data, measure: bool) -> int:
        cost = 0
        for owner, node in self._fields(parent, selection_set):
            if node.name.value.startswith("__"):
                continue
            if measure:
                if not isinstance(data, dict):
                    continue
                key = node.alias.value if node.alias else node.name.value
                if key not in data:
                    continue
                cost += self.field(owner, node, data[key], True)
            else:
                cost += self.field(owner, node, None, False)
        return cost

    def field(self, parent, node: FieldNode, value, measure: bool) -> int:
        definition = parent.fields.get(node.name.value) if hasattr(parent, "fields") else None
        if definition is None:
            return 0
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return 0
        if measure and value is None:
            return 0
        args = get_argument_values(definition, node, self.variables)
        if named.name.endswith("Connection") and ("first" in definition.args or "last" in definition.args):
            return self._connection(named, node, args, value, measure)
        if isinstance(get_nullable_type(definition.type), GraphQLList):
            if args.get("first") is None:   # an unsized list costs as one object (requested and actual alike)
                item = (value or [None])[0] if measure else None
                return 1 + (self.selection(named, node.selection_set, item, True) if measure and item is not None
                            else 0 if measure else self.selection(named, node.selection_set, None, False))
            if measure:
                return sum(1 + self.selection(named, node.selection_set, item, True) for item in value or [])
            return args["first"] * (1 + self.selection(named, node.selection_set, None, False))
        return 1 + self.selection(named, node.selection_set, value, measure)

    def _connection(self, connection, node: FieldNode, args: dict, value, measure: bool) -> int:
        if not measure:
            size = args.get("first") if args.get("first") is not None else args.get("last")
            if size is None:
                self.errors.append(document_error("you must provide one of first or last", node, "MISSING_PAGE_SIZE"))
                return 2
            if size > MAX_PAGE_SIZE or size < 0:
                self.errors.append(document_error(
                    f"The page size requested for '{node.name.value}' ({size}) is outside the allowed range: "
                    f"{'first' if args.get('first') is not None else 'last'} must be between 0 and {MAX_PAGE_SIZE}.",
                    node, "PAGE_SIZE_EXCEEDED"))
                return 2
            return 2 + size * self._per_node(connection, node.selection_set, None, False)
        return 2 + self._per_node(connection, node.selection_set, value, True)

    def _per_node(self, connection, selection_set, value, measure: bool) -> int:
        """Requested: the cost of one node. Measured: the cost of every node returned."""
        cost = 0
        for owner, sub in self._fields(connection, selection_set):
            name = sub.name.value
            if name not in ("edges", "nodes"):
                continue
            item_type = get_named_type(owner.fields[name].type)
            items = (value.get(sub.alias.value if sub.alias else name) or []) if measure else [None]
            for item in items:
                if name == "nodes":
                    cost += 1 + self.selection(item_type, sub.selection_set, item, measure)
                    continue
                for edge_owner, edge_field in self._fields(item_type, sub.selection_set):
                    if edge_field.name.value != "node":
                        continue
                    node_type = get_named_type(edge_owner.fields["node"].type)
                    node_value = None
                    if measure:
                        node_value = item.get(edge_field.alias.value if edge_field.alias else "node") \
                            if isinstance(item, dict) else None
                        if node_value is None:
                            continue
                    cost += 1 + self.selection(node_type, edge_field.selection_set, node_value, measure)
        return cost

    def _fields(self, parent, selection_set):
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield parent, selection
            elif isinstance(selection, InlineFragmentNode):
                owner = self.schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
                yield from self._fields(owner or parent, selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    owner = self.schema.get_type(fragment.type_condition.name.value)
                    yield from self._fields(owner or parent, fragment.selection_set)


class LeakyBucket:
    """Per app and store: fills at `restore_rate` points/s up to `capacity`; a query is paid up front."""

    def __init__(self, capacity: float, restore_rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity, self.restore_rate, self.clock = float(capacity), float(restore_rate), clock
        self._available = float(capacity)
        self._at = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self.clock()
        self._available = min(self.capacity, self._available + (now - self._at) * self.restore_rate)
        self._at = now

    def try_take(self, cost: float) -> bool:
        with self._lock:
            self._refill()
            if cost > self._available:
                return False
            self._available -= cost
            return True

    def refund(self, amount: float) -> None:
        with self._lock:
            self._refill()
            self._available = min(self.capacity, self._available + max(amount, 0))

    def status(self) -> dict:
        with self._lock:
            self._refill()
            return {"maximumAvailable": self.capacity, "currentlyAvailable": int(self._available),
                    "restoreRate": self.restore_rate}
