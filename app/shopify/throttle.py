"""Shopify's GraphQL cost model and a client-side leaky bucket.

Shopify charges every query its *requested* cost up front (refunding the difference to the actual cost afterwards)
and refuses (THROTTLED) a query whose requested cost exceeds what the bucket holds. The bucket refills at the plan's
restore rate up to its maximum. So the client must know, before sending, what a query will be charged, and what the
bucket holds now:

- `estimate_query_cost` applies Shopify's published rules to a document: scalars and enums 0, objects 1,
  connections 2 + first x (cost of one node), lists sized by `first` when they take it, mutations 10.
  The estimate is calibrated per document by the `requestedQueryCost` Shopify reports (`CostCalibration`), so a
  rule we get slightly wrong costs at most one query's worth of caution.
- `CostBucket` mirrors `extensions.cost.throttleStatus` between responses, refilling it by the restore rate on the
  local monotonic clock, and says how long to wait until a given cost is affordable. One bucket per app x shop
  (`bucket_for`), shared by every client of the process, because Shopify's bucket is shared too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    value_from_ast_untyped,
)

MUTATION_COST = 10
MAX_SINGLE_QUERY_COST = 1000
PLAN_RESTORE_RATES = {"standard": 100.0, "advanced": 200.0, "plus": 1000.0, "enterprise": 2000.0}


def _size(node: FieldNode, variables: Mapping[str, Any]) -> int | None:
    for argument in node.arguments or ():
        if argument.name.value in ("first", "last"):
            value = value_from_ast_untyped(argument.value, dict(variables))
            return int(value) if value is not None else None
    return None


def _unwrap_list(type_: Any) -> tuple[bool, Any]:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList), get_named_type(type_)


class _CostWalker:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode],
                 variables: Mapping[str, Any]) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selection_cost(self, parent: Any, selection_set: SelectionSetNode | None) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field_cost(parent, selection)
            elif isinstance(selection, InlineFragmentNode):
                target = self.schema.get_type(selection.type_condition.name.value) if selection.type_condition \
                    else parent
                total += self.selection_cost(target, selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                target = self.schema.get_type(fragment.type_condition.name.value)
                total += self.selection_cost(target, fragment.selection_set)
        return total

    def field_cost(self, parent: Any, node: FieldNode) -> int:
        name = node.name.value
        if name.startswith("__") or not hasattr(parent, "fields") or name not in parent.fields:
            return 0
        is_list, named = _unwrap_list(parent.fields[name].type)
        if not hasattr(named, "fields") and not hasattr(named, "types"):
            return 0  # scalar or enum
        children = self.selection_cost(named, node.selection_set)
        size = _size(node, self.variables)
        if named.name.endswith("Connection"):
            return 2 + (size if size is not None else 1) * self._node_cost(named, node.selection_set)
        one = 1 + children
        return (size if (is_list and size is not None) else 1) * one

    def _node_cost(self, connection: Any, selection_set: SelectionSetNode | None) -> int:
        """Cost of one element of a connection: what is selected under `nodes` or `edges { node }`."""
        cost = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode) and selection.name.value in ("nodes", "edges"):
                cost = max(cost, self.field_cost(connection, selection))
            elif isinstance(selection, FragmentSpreadNode | InlineFragmentNode):
                cost = max(cost, self.selection_cost(connection, selection.selection_set if isinstance(
                    selection, InlineFragmentNode) else self.fragments[selection.name.value].selection_set))
        return max(cost, 1)


def estimate_query_cost(schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any] | None = None,
                        operation_name: str | None = None) -> int:
    """Shopify's requested cost of `document` with `variables` (static rules; see the module docstring)."""
    variables = variables or {}
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [op for op in operations if op.name and op.name.value == operation_name]
    if not operations:
        raise ValueError("the document has no operation to estimate")
    operation = operations[0]
    defaults = {
        d.variable.name.value: value_from_ast_untyped(d.default_value)
        for d in operation.variable_definitions or () if d.default_value is not None
    }
    walker = _CostWalker(schema, fragments, {**defaults, **variables})
    if operation.operation is OperationType.MUTATION:
        return MUTATION_COST * sum(1 for s in operation.selection_set.selections if isinstance(s, FieldNode))
    root: GraphQLObjectType | None = schema.query_type
    return max(1, walker.selection_cost(root, operation.selection_set))


@dataclass
class CostCalibration:
    """Ratio of Shopify's reported requested cost to our static estimate, per document (starts at 1)."""

    ratios: dict[str, float] = field(default_factory=dict)

    def apply(self, document_name: str, estimate: int) -> int:
        return max(1, round(estimate * self.ratios.get(document_name, 1.0)))

    def learn(self, document_name: str, estimate: int, requested: float | int | None) -> None:
        if requested is not None and estimate > 0:
            self.ratios[document_name] = float(requested) / float(estimate)


@dataclass
class CostBucket:
    """Our view of Shopify's leaky bucket for one app x shop.

    `available` is what the bucket held at `updated_at` (monotonic seconds); it refills at `restore_rate` up to
    `maximum`. `reserved` is the requested cost of queries in flight, which Shopify has already charged.
    `maximum` is None until the first response tells us the bucket size.
    """

    restore_rate: float
    maximum: float | None = None
    available: float | None = None
    updated_at: float = 0.0
    reserved: float = 0.0
    clock: Callable[[], float] = time.monotonic

    def now_available(self) -> float | None:
        if self.available is None:
            return None
        elapsed = max(0.0, self.clock() - self.updated_at)
        refilled = self.available + elapsed * self.restore_rate
        if self.maximum is not None:
            refilled = min(self.maximum, refilled)
        return refilled - self.reserved

    def wait_for(self, cost: float) -> float:
        """Seconds until `cost` is affordable (0 when it is now, or when the bucket is still unknown)."""
        available = self.now_available()
        if available is None:
            return 0.0
        cost = min(cost, self.maximum) if self.maximum is not None else cost
        shortfall = cost - available
        return 0.0 if shortfall <= 0 else shortfall / self.restore_rate

    def observe(self, throttle_status: Mapping[str, Any] | None) -> None:
        """Adopt Shopify's figures from `extensions.cost.throttleStatus` (the authority on the bucket)."""
        if not throttle_status:
            return
        maximum = throttle_status.get("maximumAvailable")
        current = throttle_status.get("currentlyAvailable")
        rate = throttle_status.get("restoreRate")
        if maximum is not None:
            self.maximum = float(maximum)
        if rate:
            self.restore_rate = float(rate)
        if current is not None:
            self.available = float(current)
            self.updated_at = self.clock()


_BUCKETS: dict[tuple[str, str], CostBucket] = {}


def bucket_for(api_base: str, shop_domain: str, restore_rate: float,
               clock: Callable[[], float] = time.monotonic) -> CostBucket:
    """The process-wide bucket of one app x shop (created with the plan's restore rate until Shopify reports)."""
    key = (api_base.rstrip("/"), shop_domain)
    bucket = _BUCKETS.get(key)
    if bucket is None or bucket.clock is not clock:
        bucket = CostBucket(restore_rate=restore_rate, clock=clock)
        _BUCKETS[key] = bucket
    return bucket


def forget_buckets() -> None:
    """Drop every remembered bucket (tests, or after a plan change)."""
    _BUCKETS.clear()
