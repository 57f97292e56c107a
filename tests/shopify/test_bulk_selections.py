"""A later bulk file's records replace the orders file's partial ones and must equal what a sync reads, so each bulk
document selects, for every type it shares with the sync documents, exactly what the sync selects (connection
wrappers, page info, page sizes and `__typename` aside). The documents cannot share fragments (each is sent alone),
so this test is what keeps them from drifting apart."""

from __future__ import annotations

import pytest
from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, get_named_type

from app.shopify.client import load_document
from app.shopify.schema import admin_schema

WRAPPERS = {"edges", "node", "nodes"}
IGNORED = {"__typename", "pageInfo"}
SHARED = {
    "bulk_order_fulfillments": ("Fulfillment", "FulfillmentLineItem"),
    "bulk_order_fulfillment_orders": ("FulfillmentOrderLineItem",),
    "bulk_order_refunds": ("RefundLineItem", "RefundShippingLine", "OrderAdjustment"),
    "order_returns": ("Return", "ReturnLineItemType"),
}


def selections(name: str) -> dict[str, frozenset]:
    """Per type name: the normalised selection each field of that type makes (union over the document)."""
    document = load_document(name).ast
    fragments = {d.name.value: d for d in document.definitions if hasattr(d, "type_condition")}
    found: dict[str, frozenset] = {}

    def normalise(type_, selection_set) -> frozenset:
        out = set()
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FragmentSpreadNode):
                fragment = fragments[selection.name.value]
                out |= normalise(admin_schema().type_map[fragment.type_condition.name.value], fragment.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                inner = admin_schema().type_map[selection.type_condition.name.value]
                out.add((f"on {inner.name}", normalise(inner, selection.selection_set)))
            elif isinstance(selection, FieldNode) and selection.name.value not in IGNORED:
                field = type_.fields[selection.name.value]
                named = get_named_type(field.type)
                child = normalise(named, selection.selection_set) if selection.selection_set else frozenset()
                if selection.name.value in WRAPPERS:
                    out |= child
                    continue
                if named.name.endswith("Connection"):
                    named = get_named_type(named.fields["nodes"].type)
                if selection.selection_set:
                    found[named.name] = found.get(named.name, frozenset()) | child
                out.add((selection.name.value, child))
        return frozenset(out)

    for definition in document.definitions:
        if not hasattr(definition, "type_condition"):
            normalise(admin_schema().query_type, definition.selection_set)
    return found


@pytest.mark.parametrize("name", sorted(SHARED))
def test_bulk_documents_select_what_the_sync_selects(name: str) -> None:
    sync, ours = selections("orders_updated_since"), selections(name)
    for type_name in SHARED[name]:
        assert ours[type_name] == sync[type_name], type_name


def test_a_fulfilment_order_from_its_root_adds_only_its_order() -> None:
    sync, ours = selections("orders_updated_since"), selections("bulk_order_fulfillment_orders")
    assert ours["FulfillmentOrder"] == sync["FulfillmentOrder"] | {("orderId", frozenset())}


def test_a_refunds_transactions_are_read_in_full_as_the_sync_reads_the_orders() -> None:
    """The sync reads a refund's transactions as ids and their facts at the order (the mapper links the two)."""
    sync, ours = selections("orders_updated_since"), selections("bulk_order_refunds")
    transactions = {child for key, child in ours["Refund"] if key == "transactions"}
    assert transactions == {sync["OrderTransaction"]}
    assert {item for item in ours["Refund"] if item[0] != "transactions"} == {
        item for item in sync["Refund"] if item[0] != "transactions"}


def test_the_orders_file_selects_the_order_its_lines_and_payments_as_the_sync_does() -> None:
    """Its fulfilments and refunds are partial (the later files complete them); the rest must be whole."""
    sync, ours = selections("orders_updated_since"), selections("bulk_orders")
    for type_name in ("LineItem", "ShippingLine", "OrderTransaction"):
        assert ours[type_name] == sync[type_name], type_name
    later = {"fulfillments", "fulfillmentsCount", "fulfillmentOrders", "refunds", "returns"}
    assert {item for item in ours["Order"] if item[0] not in later} == {
        item for item in sync["Order"] if item[0] not in later}
