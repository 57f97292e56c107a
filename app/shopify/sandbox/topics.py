"""Webhook topics: GraphQL enum (ORDERS_UPDATED) ↔ REST topic (orders/updated), and the scope each needs."""

from __future__ import annotations

_RESOURCES = sorted(["BULK_OPERATIONS", "INVENTORY_LEVELS", "INVENTORY_ITEMS", "ORDER_TRANSACTIONS",
                     "TENDER_TRANSACTIONS", "FULFILLMENT_ORDERS", "FULFILLMENT_EVENTS", "REVERSE_FULFILLMENT_ORDERS",
                     "SHOP", "APP", "ORDERS", "REFUNDS", "FULFILLMENTS", "RETURNS", "CUSTOMERS", "PRODUCTS",
                     "DISPUTES", "LOCATIONS", "APP_SUBSCRIPTIONS"], key=len, reverse=True)

_SCOPES = {
    "orders": ("read_orders",), "refunds": ("read_orders",), "order_transactions": ("read_orders",),
    "tender_transactions": ("read_orders",), "fulfillments": ("read_fulfillments", "read_orders"),
    "fulfillment_orders": ("read_merchant_managed_fulfillment_orders", "read_assigned_fulfillment_orders",
                           "read_third_party_fulfillment_orders"),
    "returns": ("read_returns",), "inventory_levels": ("read_inventory",), "inventory_items": ("read_inventory",),
    "customers": ("read_customers",), "products": ("read_products",), "disputes": ("read_shopify_payments_disputes",),
}


def topic_name(enum_value: str) -> str:
    """ORDERS_PARTIALLY_FULFILLED → orders/partially_fulfilled."""
    for resource in _RESOURCES:
        if enum_value.startswith(resource + "_"):
            return f"{resource.lower()}/{enum_value[len(resource) + 1:].lower()}"
    head, _, tail = enum_value.partition("_")
    return f"{head.lower()}/{tail.lower()}"


def topic_enum(name: str) -> str:
    return name.replace("/", "_").upper()


def scope_for_topic(enum_value: str) -> tuple[str, ...]:
    return _SCOPES.get(topic_name(enum_value).split("/")[0], ())
