"""Access scopes: which fields of a document the token may not touch (Shopify's `offline_scopes` per type/field).

A field is denied when its own required scopes, or those of the type it returns (for a connection: of its node
type), are non-empty and the token holds none of them. Denied fields resolve to an ACCESS_DENIED error at their path
(data stays partial, as on Shopify). Shopify's published scope list leaves a few mutations without an offline scope
although they need one; `EXTRA_FIELD_SCOPES` adds what the docs state for them.
"""

from __future__ import annotations

from graphql import FieldNode, FragmentSpreadNode, GraphQLSchema, InlineFragmentNode, get_named_type

from app.shopify.schema import ScopeIndex

EXTRA_FIELD_SCOPES: dict[tuple[str, str], tuple[str, ...]] = {
    ("Mutation", "refundCreate"): ("write_orders", "write_marketplace_orders"),
    ("QueryRoot", "shopifyPaymentsAccount"): ("read_shopify_payments_payouts", "read_shopify_payments_accounts"),
}


def required_scopes(index: ScopeIndex, parent: str, field: str, return_type) -> list[tuple[str, ...]]:
    """Every scope group the field needs (each group: any one of its scopes suffices)."""
    groups = []
    for scopes in (index.for_field(parent, field), EXTRA_FIELD_SCOPES.get((parent, field), ())):
        if scopes:
            groups.append(scopes)
    named = get_named_type(return_type)
    type_scopes = index.for_type(named.name)
    if type_scopes:
        groups.append(type_scopes)
    if named.name.endswith("Connection") and hasattr(named, "fields") and "nodes" in named.fields:
        node_scopes = index.for_type(get_named_type(named.fields["nodes"].type).name)
        if node_scopes:
            groups.append(node_scopes)
    return groups


def denied_fields(schema: GraphQLSchema, index: ScopeIndex, root, selection_set, fragments: dict, grant) -> dict:
    """id(FieldNode) → the scope group the token lacks, for every field of the operation it may not touch."""
    denied: dict[int, tuple[str, ...]] = {}
    seen: set[tuple[str, int]] = set()

    def walk(parent, selections) -> None:
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                fields = getattr(parent, "fields", {})
                if name.startswith("__") or name not in fields:
                    continue
                definition = fields[name]
                for group in required_scopes(index, parent.name, name, definition.type):
                    if not any(grant.has(scope) for scope in group):
                        denied[id(selection)] = group
                        break
                if selection.selection_set is not None and (parent.name, id(selection)) not in seen:
                    seen.add((parent.name, id(selection)))
                    walk(get_named_type(definition.type), selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                owner = schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
                walk(owner, selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    walk(schema.get_type(fragment.type_condition.name.value), fragment.selection_set)

    walk(root, selection_set)
    return denied
