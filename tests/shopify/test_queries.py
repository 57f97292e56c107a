"""Every document the client can send is valid against Shopify's official 2026-10 schema and affordable."""

from __future__ import annotations

import pytest
from graphql import get_named_type, parse

from app.shopify.client import IDEMPOTENT_MUTATIONS, document_names, load_document
from app.shopify.schema import admin_schema, validate_document
from app.shopify.throttle import MAX_SINGLE_QUERY_COST, estimate_query_cost

NAMES = document_names()


def test_the_documents_we_rely_on_exist() -> None:
    for name in ("orders_updated_since", "order_details", "order_line_items", "bulk_orders",
                 "bulk_operation_run_query", "bulk_operation", "binding_probe", "access_scopes",
                 "webhook_subscriptions", "webhook_subscription_create", "recent_paid_orders", "refund_create",
                 "inventory_adjust_quantities", "inventory_set_quantities"):
        assert name in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_document_is_valid_against_the_official_schema(name: str) -> None:
    assert validate_document(load_document(name).text) == []


@pytest.mark.parametrize("name", NAMES)
def test_mutations_that_shopify_requires_idempotent_carry_the_directive(name: str) -> None:
    document = load_document(name)
    if document.is_mutation and IDEMPOTENT_MUTATIONS.intersection(document.root_fields):
        assert "@idempotent(key: $idempotencyKey)" in document.text


@pytest.mark.parametrize("name", [n for n in NAMES if not n.startswith("bulk_order")])
def test_smallest_request_fits_shopifys_single_query_cap(name: str) -> None:
    variables = {"first": 1, "query": "x", "id": "gid://shopify/Order/1"}
    assert estimate_query_cost(admin_schema(), load_document(name).ast, variables) <= MAX_SINGLE_QUERY_COST


BULK_CONNECTIONS = {
    "bulk_orders": ["orders", "refundLineItems", "refundShippingLines", "lineItems", "shippingLines"],
    "bulk_order_fulfillments": ["orders", "fulfillmentLineItems", "returns"],
    "bulk_order_fulfillment_orders": ["fulfillmentOrders", "lineItems"],
    "bulk_order_refunds": ["orders", "refundLineItems", "refundShippingLines", "orderAdjustments", "transactions"],
}


@pytest.mark.parametrize("name", sorted(BULK_CONNECTIONS))
def test_bulk_queries_respect_bulk_limits(name: str) -> None:
    """At most 5 connections, nested at most 2 deep, and every connection child selects __typename and id."""
    schema = admin_schema()
    document = load_document(name)
    connections: list[tuple[str, int]] = []

    def walk(parent, selection_set, depth: int) -> None:
        for selection in selection_set.selections if selection_set else ():
            if not hasattr(selection, "name") or selection.kind != "field":
                continue
            field = parent.fields.get(selection.name.value) if hasattr(parent, "fields") else None
            if field is None:
                continue
            named = get_named_type(field.type)
            if named.name.endswith("Connection"):
                connections.append((selection.name.value, depth + 1))
                edges = next(s for s in selection.selection_set.selections if s.name.value == "edges")
                node = next(s for s in edges.selection_set.selections if s.name.value == "node")
                selected = {s.name.value for s in node.selection_set.selections if s.kind == "field"}
                if depth + 1 > 1:
                    assert {"__typename", "id"} <= selected, selection.name.value
                walk(get_named_type(named.fields["edges"].type).fields["node"].type.of_type, node.selection_set,
                     depth + 1)
            else:
                walk(named, selection.selection_set, depth)

    operation = document.ast.definitions[0]
    fragments = {d.name.value: d for d in document.ast.definitions[1:]}
    assert set(fragments) <= {"Money", "Tax", "Address"}  # fragments hold no connections
    walk(schema.query_type, operation.selection_set, 0)
    assert len(connections) <= 5
    assert max(depth for _, depth in connections) <= 2
    assert [connection for connection, _ in connections] == BULK_CONNECTIONS[name]
    assert parse(document.text)  # and it parses as a standalone document
