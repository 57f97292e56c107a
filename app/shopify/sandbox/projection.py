"""A compiled projection of a bulk query onto the store's dicts, without the GraphQL executor (for speed).

The bulk query's root connection yields one JSONL object per node; every connection nested below becomes separate
lines carrying `__parentId` (the id of the object that owns the connection), written right after their parent, as
Shopify does with `groupObjects: true`. Lists and objects stay inline. Fields the store does not hold fail the
compile-time probe, so a bulk operation never returns silently missing data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from graphql import (FieldNode, FragmentSpreadNode, GraphQLSchema, InlineFragmentNode, get_named_type,
                     is_abstract_type, is_leaf_type)

from app.shopify.sandbox.money import gql_amount


class NotProjectable(Exception):
    """The bulk query touches something the sandbox does not hold (named in the message)."""


@dataclass
class FieldPlan:
    key: str
    name: str
    kind: str                    # "leaf" | "object" | "list" | "connection" | "typename" | "count"
    type_names: frozenset | None  # type conditions this field applies to (None = always)
    children: list["FieldPlan"] = field(default_factory=list)
    first: int | None = None


def compile_selection(schema: GraphQLSchema, parent, selection_set, fragments: dict,
                      conditions=None) -> list[FieldPlan]:
    plans: list[FieldPlan] = []
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            plans.append(_compile_field(schema, parent, selection, fragments, conditions))
        elif isinstance(selection, (InlineFragmentNode, FragmentSpreadNode)):
            fragment = selection if isinstance(selection, InlineFragmentNode) else fragments[selection.name.value]
            condition = schema.get_type(fragment.type_condition.name.value) if fragment.type_condition else parent
            if not is_abstract_type(parent):
                names = conditions                     # a fragment on the concrete parent type always applies
            elif is_abstract_type(condition):
                names = frozenset(t.name for t in schema.get_possible_types(condition))
            else:
                names = frozenset({condition.name})
            plans.extend(compile_selection(schema, condition, fragment.selection_set, fragments, names))
    return plans


def _compile_field(schema, parent, node: FieldNode, fragments, conditions) -> FieldPlan:
    name = node.name.value
    key = node.alias.value if node.alias else name
    if name == "__typename":
        return FieldPlan(key, name, "typename", conditions)
    definition = parent.fields[name]
    named = get_named_type(definition.type)
    first = next((a.value.value for a in (node.arguments or ())
                  if a.name.value == "first" and hasattr(a.value, "value")), None)
    if is_leaf_type(named):
        return FieldPlan(key, name, "leaf", conditions)
    if name == "fulfillmentsCount":
        return FieldPlan(key, name, "count", conditions, compile_selection(schema, named, node.selection_set, fragments))
    if named.name.endswith("Connection") and "nodes" in getattr(named, "fields", {}):
        node_type = get_named_type(named.fields["nodes"].type)
        inner = []
        for sub in node.selection_set.selections:
            if isinstance(sub, FieldNode) and sub.name.value == "edges":
                for edge_field in sub.selection_set.selections:
                    if isinstance(edge_field, FieldNode) and edge_field.name.value == "node":
                        inner = compile_selection(schema, node_type, edge_field.selection_set, fragments)
            elif isinstance(sub, FieldNode) and sub.name.value == "nodes":
                inner = compile_selection(schema, node_type, sub.selection_set, fragments)
        return FieldPlan(key, name, "connection", conditions, inner, int(first) if first else None)
    kind = "list" if "List" in type(_nullable(definition.type)).__name__ else "object"
    return FieldPlan(key, name, kind, conditions, compile_selection(schema, named, node.selection_set, fragments),
                     int(first) if first else None)


def _nullable(type_):
    return getattr(type_, "of_type", type_) if type(type_).__name__ == "GraphQLNonNull" else type_


def _leaf(value):
    if isinstance(value, Decimal):
        return gql_amount(value)
    return value


def project(source: dict, plans: list[FieldPlan], emit_child, parent_id: str | None) -> dict:
    """The JSON object for `source`; nested connections go to `emit_child(child_object)` (after this one)."""
    out: dict = {}
    deferred = []
    typename = source.get("__typename")
    for plan in plans:
        if plan.type_names is not None and typename not in plan.type_names:
            continue
        if plan.kind == "typename":
            out[plan.key] = typename
            continue
        if plan.kind == "count":
            out[plan.key] = {"count": len(source["fulfillments"]), "precision": "EXACT"}
            continue
        if plan.name not in source:
            raise NotProjectable(f"Field '{plan.name}' on type '{typename}' is not implemented by the sandbox store")
        value = source[plan.name]
        if plan.kind == "leaf":
            out[plan.key] = [_leaf(v) for v in value] if isinstance(value, list) else _leaf(value)
        elif plan.kind == "connection":
            deferred.append((plan, value))
        elif value is None:
            out[plan.key] = None
        elif plan.kind == "list":
            items = value[: plan.first] if plan.first is not None else value
            out[plan.key] = [project(item, plan.children, emit_child, item.get("id", parent_id)) for item in items]
        else:
            out[plan.key] = project(value, plan.children, emit_child, value.get("id", parent_id))
    owner = source.get("id", parent_id)
    for plan, items in deferred:
        for item in items[: plan.first] if plan.first is not None else items:
            emit_child(item, plan.children, owner)
    return out
