"""Completing an order whose children did not fit in its page (Shopify caps one query at 1000 points).

The page query fetches a modest number of each child; `complete_order` notices where Shopify says there is more
(`pageInfo.hasNextPage`, a list as long as its `first`, `fulfillmentsCount` above the fulfillments returned) and
fetches the rest: line items page by page (`order_line_items`), the other children in one larger query
(`order_details`). An order still truncated after that is reported (returns False) rather than silently cut.
"""

from __future__ import annotations

from typing import Any

from app.shopify.client import AdminClient

PAGE_LIST_SIZES = {"refunds": 2, "fulfillments": 3, "transactions": 5}
DETAIL_LIST_SIZES = {"refunds": 4, "fulfillments": 6, "transactions": 20}
DETAIL_KEYS = ("shippingLines", "transactions", "refunds", "fulfillmentsCount", "fulfillments", "returns",
               "fulfillmentOrders")
_NESTED = {"refunds": ("refundLineItems", "refundShippingLines", "orderAdjustments", "transactions"),
           "fulfillments": ("fulfillmentLineItems",)}
_NESTED_CONNECTIONS = {"returns": ("returnLineItems",), "fulfillmentOrders": ("lineItems",)}


def _more(connection: Any) -> bool:
    return isinstance(connection, dict) and bool((connection.get("pageInfo") or {}).get("hasNextPage"))


def overflows(order: dict[str, Any], sizes: dict[str, int]) -> bool:
    """Whether any child other than line items may hold more than the query returned."""
    if _more(order.get("shippingLines")) or _more(order.get("returns")) or _more(order.get("fulfillmentOrders")):
        return True
    for key, size in sizes.items():
        if len(order.get(key) or []) >= size:
            return True
    count = (order.get("fulfillmentsCount") or {}).get("count")
    if count is not None and count > len(order.get("fulfillments") or []):
        return True
    for key, nested in _NESTED.items():
        for item in order.get(key) or []:
            if any(_more(item.get(n)) for n in nested):
                return True
    for key, nested in _NESTED_CONNECTIONS.items():
        for item in (order.get(key) or {}).get("nodes") or []:
            if any(_more(item.get(n)) for n in nested):
                return True
    return False


async def _complete_lines(client: AdminClient, order: dict[str, Any]) -> None:
    lines = order.get("lineItems") or {}
    while _more(lines):
        data = await client.execute("order_line_items", {"id": order["id"], "first": 50,
                                                         "after": lines["pageInfo"]["endCursor"]})
        more = (data.get("order") or {}).get("lineItems")
        if not more:
            return
        lines["nodes"].extend(more["nodes"])
        lines["pageInfo"] = more["pageInfo"]


async def complete_order(client: AdminClient, order: dict[str, Any]) -> bool:
    """Fetch what did not fit; True when the order is now complete."""
    await _complete_lines(client, order)
    if not overflows(order, PAGE_LIST_SIZES):
        return True
    data = await client.execute("order_details", {"id": order["id"]})
    details = data.get("order")
    if not details:
        return False
    for key in DETAIL_KEYS:
        if key in details:
            order[key] = details[key]
    return not overflows(order, DETAIL_LIST_SIZES)
