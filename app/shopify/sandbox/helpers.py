"""The sandbox's admin helper API (not part of Shopify): change orders, set faults, inspect webhooks."""

from __future__ import annotations

import random
from decimal import Decimal

from app.shopify.sandbox.profile import gid, iso, order_index_of, parse_gid
from app.shopify.sandbox.topics import topic_enum


class HelperError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def subscribe_all(store, url: str, topics, api_version: str) -> None:
    for topic in topics:
        number = 1_400_000_000 + len(store.subscriptions) + 1
        now = iso(store.now())
        sub_id = gid("WebhookSubscription", number)
        store.subscriptions[sub_id] = {
            "__typename": "WebhookSubscription", "id": sub_id, "legacyResourceId": str(number),
            "topic": topic_enum(topic), "uri": url, "callbackUrl": url, "format": "JSON", "filter": None,
            "includeFields": [], "metafieldNamespaces": [], "name": None, "createdAt": now, "updatedAt": now,
            "apiVersion": {"handle": api_version, "displayName": api_version, "supported": True},
            "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": url}, "_topic": topic}


def order_index(store, value: str) -> int:
    parsed = parse_gid(value)
    number = parsed[1] if parsed and parsed[0] == "Order" else int(value) if value.isdigit() else None
    index = order_index_of("Order", number) if number is not None else None
    if index is None or not 0 <= index < store.order_count:
        raise HelperError(f"order {value} does not exist in this sandbox store", 404)
    return index


def update_order(store, index: int, note: str | None = None, tags: list[str] | None = None) -> dict:
    def mutate(order, at):
        order["note"] = note if note is not None else f"changed by the sandbox helper at {iso(at)}"
        if tags is not None:
            order["tags"] = list(tags)
    order = store.change_order(index, mutate, ["orders/updated"])
    return {"id": order["id"], "updatedAt": order["updatedAt"]}


def touch_orders(store, count: int, seed: int = 0) -> list[dict]:
    """Change `count` distinct orders (a seeded sample), each once, in index order."""
    if not 0 <= count <= store.order_count:
        raise HelperError(f"count must be between 0 and {store.order_count}")
    indices = sorted(random.Random(seed).sample(range(store.order_count), count))
    return [update_order(store, index) for index in indices]


EMITTABLE = {"orders/create", "orders/updated", "orders/paid", "orders/fulfilled", "orders/partially_fulfilled",
             "orders/cancelled", "refunds/create", "fulfillments/create", "fulfillments/update"}


def emit_events(store, topic: str, count: int, seed: int = 0) -> int:
    """Send `topic` for `count` orders (seeded sample) as they are now, as if the event had just happened.

    For replay and idempotency tests (e.g. 2,000 deliveries with duplicates in shuffled order). Refund and fulfilment
    topics use each chosen order's first refund/fulfilment and skip orders that have none. Returns events emitted.
    """
    if topic not in EMITTABLE:
        raise HelperError(f"topic must be one of {', '.join(sorted(EMITTABLE))}")
    if not 0 <= count <= store.order_count:
        raise HelperError(f"count must be between 0 and {store.order_count}")
    emitted = 0
    for index in sorted(random.Random(seed).sample(range(store.order_count), count)):
        order = store.order(index)
        source = order
        if topic.startswith("refunds/"):
            source = order["refunds"][0] if order["refunds"] else None
        elif topic.startswith("fulfillments/"):
            source = order["fulfillments"][0] if order["fulfillments"] else None
        if source is not None:
            store.emit(topic, source)
            emitted += 1
    return emitted


def store_summary(store) -> dict:
    """Counts and shop-currency totals over every order (builds each order once; slow for very large stores)."""
    total = current = tax = refunded = Decimal("0")
    for index in range(store.order_count):
        order = store.order(index)
        total += order["totalPriceSet"]["shopMoney"]["amount"]
        current += order["currentTotalPriceSet"]["shopMoney"]["amount"]
        tax += order["totalTaxSet"]["shopMoney"]["amount"]
        refunded += order["totalRefundedSet"]["shopMoney"]["amount"]
    return {"orders": store.order_count, "changedOrders": store.changed_count(), "currency": store.profile.currency,
            "totalPrice": str(total), "currentTotalPrice": str(current), "totalTax": str(tax),
            "totalRefunded": str(refunded)}


def dispatch(services, store, path: str, method: str, params: dict, payload: dict):
    if path.endswith("/orders/touch"):
        return {"orders": touch_orders(store, int(payload.get("count", 0)), int(payload.get("seed", 0)))}
    if path.endswith("/update") and "order_id" in params:
        return update_order(store, order_index(store, params["order_id"]), payload.get("note"), payload.get("tags"))
    if path.endswith("/faults"):
        if method == "POST":
            services.faults.update(payload)
        return services.faults.as_dict()
    if path.endswith("/webhooks/emit"):
        return {"emitted": emit_events(store, str(payload.get("topic")), int(payload.get("count", 0)),
                                       int(payload.get("seed", 0)))}
    if path.endswith("/webhooks/deliveries"):
        return {"deliveries": services.webhooks.summary()}
    if path.endswith("/webhooks/options"):
        options = services.webhooks.options
        for key in ("duplicate_rate", "shuffle", "max_attempts", "retry_base"):
            if key in payload:
                setattr(options, key, type(getattr(options, key))(payload[key]))
        return {k: getattr(options, k) for k in ("duplicate_rate", "shuffle", "max_attempts", "retry_base")}
    if path.endswith("/webhooks/flush"):
        return {}
    if path.endswith("/store"):
        return store_summary(store)
    raise HelperError("unknown helper route", 404)
