"""Mutations: webhook subscriptions, bulk operations, fulfilments and tracking, refunds (inventory in its module).

Each mutation validates everything first and returns Shopify-style `userErrors` without changing anything when the
input is wrong; a valid one changes the order through `store.change_order` (one step, moves `updatedAt` forward and
emits the webhooks Shopify would send).
"""

from __future__ import annotations

from decimal import Decimal

from app.shopify.sandbox import lifecycle
from app.shopify.sandbox.catalog import CARRIERS
from app.shopify.sandbox.idempotency import MISMATCH, idempotent
from app.shopify.sandbox.profile import gid, iso, order_index_of, parse_gid
from app.shopify.sandbox.resolvers import resolver
from app.shopify.sandbox.topics import scope_for_topic, topic_name

RESTOCK_TYPES = {"NO_RESTOCK", "CANCEL", "RETURN", "LEGACY_RESTOCK"}


def _error(field, message, code=None):
    error = {"field": field, "message": message}
    if code:
        error["code"] = code
    return error


@resolver("Mutation", "webhookSubscriptionCreate")
def webhook_subscription_create(_, info, topic, webhookSubscription):
    ctx = info.context
    store = ctx.store
    uri = webhookSubscription.get("uri") or webhookSubscription.get("callbackUrl")
    if not uri or not (uri.startswith("https://") or uri.startswith("http://127.0.0.1") or
                       uri.startswith("http://localhost") or uri.startswith("http://")):
        return {"webhookSubscription": None, "userErrors": [_error(["webhookSubscription", "uri"],
                                                                   "Address is invalid")]}
    needed = scope_for_topic(topic)
    if needed and not any(ctx.grant.has(s) for s in needed):
        return {"webhookSubscription": None, "userErrors": [_error(
            ["webhookSubscription"], f"You do not have permission to create or update webhooks with {topic} topic. "
            f"This topic requires one of: {', '.join(needed)}.")]}
    with store.lock:
        if any(s["topic"] == topic and s["uri"] == uri for s in store.subscriptions.values()):
            return {"webhookSubscription": None, "userErrors": [_error(
                ["webhookSubscription", "callbackUrl"], "Address for this topic has already been taken")]}
        number = 1_400_000_000 + len(store.subscriptions) + 1
        now = iso(store.now())
        sub = {"__typename": "WebhookSubscription", "id": gid("WebhookSubscription", number),
               "legacyResourceId": str(number), "topic": topic, "uri": uri, "callbackUrl": uri,
               "format": webhookSubscription.get("format") or "JSON", "filter": webhookSubscription.get("filter"),
               "includeFields": webhookSubscription.get("includeFields") or [], "metafieldNamespaces": [],
               "name": webhookSubscription.get("name"), "createdAt": now, "updatedAt": now,
               "apiVersion": {"handle": ctx.api_version, "displayName": ctx.api_version, "supported": True},
               "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": uri}, "_topic": topic_name(topic)}
        store.subscriptions[sub["id"]] = sub
    return {"webhookSubscription": sub, "userErrors": []}


@resolver("Mutation", "webhookSubscriptionDelete")
def webhook_subscription_delete(_, info, id):
    removed = info.context.store.subscriptions.pop(id, None)
    if removed is None:
        return {"deletedWebhookSubscriptionId": None,
                "userErrors": [_error(["id"], "Webhook subscription does not exist")]}
    return {"deletedWebhookSubscriptionId": id, "userErrors": []}


@resolver("Mutation", "bulkOperationRunQuery")
def bulk_operation_run_query(_, info, query, groupObjects):
    op, errors = info.context.services.bulk.start(info.context, query, groupObjects)
    return {"bulkOperation": op.node() if op else None, "userErrors": errors}


@resolver("Mutation", "bulkOperationCancel")
def bulk_operation_cancel(_, info, id):
    op = info.context.store.bulk_operations.get(id)
    if op is None:
        return {"bulkOperation": None, "userErrors": [_error(["id"], "Bulk operation does not exist")]}
    op.cancel()
    return {"bulkOperation": op.node(), "userErrors": []}


def _tracking(info_input: dict | None) -> list[dict]:
    if not info_input:
        return []
    numbers = list(info_input.get("numbers") or []) or ([info_input["number"]] if info_input.get("number") else [])
    urls = list(info_input.get("urls") or []) or ([info_input["url"]] if info_input.get("url") else [])
    company = info_input.get("company")
    template = next((t for name, t in CARRIERS if company and name.lower() == company.lower()), None)
    result = []
    for position, number in enumerate(numbers or [None]):
        url = urls[position] if position < len(urls) else (template.format(number) if template and number else None)
        result.append({"__typename": "FulfillmentTrackingInfo", "company": company, "number": number, "url": url})
    return result if (numbers or urls or company) else []


def _fulfilment_items(store, groups: list[dict]):
    """(order index, [(line, qty)], errors) for lineItemsByFulfillmentOrder."""
    index, items, errors = None, [], []
    for position, group in enumerate(groups):
        parsed = parse_gid(group["fulfillmentOrderId"])
        fo_index = order_index_of("FulfillmentOrder", parsed[1]) if parsed and parsed[0] == "FulfillmentOrder" else None
        order = store.order(fo_index) if fo_index is not None and fo_index < store.order_count else None
        fo = order and next((f for f in order["fulfillmentOrders"] if f["id"] == group["fulfillmentOrderId"]), None)
        field = ["fulfillment", "lineItemsByFulfillmentOrder", str(position)]
        if fo is None:
            errors.append(_error(field + ["fulfillmentOrderId"], "Fulfillment order does not exist."))
            continue
        if index is not None and fo_index != index:
            errors.append(_error(field, "All fulfillment orders must belong to the same order."))
            continue
        index = fo_index
        if fo["status"] in ("CLOSED", "CANCELLED"):
            errors.append(_error(field, f"Fulfillment order {fo['id']} has an unfulfillable status= {fo['status']}."))
            continue
        wanted = group.get("fulfillmentOrderLineItems") or [
            {"id": item["id"], "quantity": item["remainingQuantity"]} for item in fo["lineItems"] if item["remainingQuantity"]]
        for item_input in wanted:
            item = next((i for i in fo["lineItems"] if i["id"] == item_input["id"]), None)
            if item is None:
                errors.append(_error(field + ["fulfillmentOrderLineItems"], f"Fulfillment order line item "
                                     f"{item_input['id']} does not belong to {fo['id']}."))
            elif not 0 < item_input["quantity"] <= item["remainingQuantity"]:
                errors.append(_error(field + ["fulfillmentOrderLineItems"], f"Invalid quantity {item_input['quantity']}"
                                     f" for {item['id']}: {item['remainingQuantity']} can still be fulfilled."))
            else:
                items.append((item["lineItem"]["id"], item_input["quantity"]))
    return index, items, errors


@resolver("Mutation", "fulfillmentCreate")
@idempotent(required=False, mismatch_error=MISMATCH)
def fulfillment_create(_, info, fulfillment, message=None):
    store = info.context.store
    with store.lock:
        index, items, errors = _fulfilment_items(store, fulfillment.get("lineItemsByFulfillmentOrder") or [])
        if not errors and not items:
            errors.append(_error(["fulfillment"], "Nothing to fulfil: every fulfillment order line is already done."))
        if errors:
            return {"fulfillment": None, "userErrors": errors}
        created = {}

        def mutate(order, at):
            lines = {line["id"]: line for line in order["lineItems"]}
            created["f"] = lifecycle.create_fulfillment(order, [(lines[i], q) for i, q in items],
                                                        _tracking(fulfillment.get("trackingInfo")), at)
            lifecycle.recompute(order)

        order = store.change_order(index, mutate, [])
        status = order["displayFulfillmentStatus"]
        topics = ["fulfillments/create", "orders/updated",
                  "orders/fulfilled" if status == "FULFILLED" else "orders/partially_fulfilled"]
    for topic in topics:
        store.emit(topic, created["f"] if topic.startswith("fulfillments/") else order)
    return {"fulfillment": created["f"], "userErrors": []}


@resolver("Mutation", "fulfillmentTrackingInfoUpdate")
def fulfillment_tracking_info_update(_, info, fulfillmentId, trackingInfoInput, notifyCustomer=None):
    store = info.context.store
    parsed = parse_gid(fulfillmentId)
    index = order_index_of("Fulfillment", parsed[1]) if parsed and parsed[0] == "Fulfillment" else None
    with store.lock:
        order = store.order(index) if index is not None and index < store.order_count else None
        found = order and next((f for f in order["fulfillments"] if f["id"] == fulfillmentId), None)
        if not found:
            return {"fulfillment": None, "userErrors": [_error(["fulfillmentId"], "Fulfillment does not exist.")]}
        if found["status"] == "CANCELLED":
            return {"fulfillment": None, "userErrors": [_error(["fulfillmentId"], "Fulfillment is cancelled.")]}
        holder = {}

        def mutate(order, at):
            target = next(f for f in order["fulfillments"] if f["id"] == fulfillmentId)
            lifecycle.update_tracking(order, target, _tracking(trackingInfoInput), at)
            holder["f"] = target

        order = store.change_order(index, mutate, [])
    store.emit("fulfillments/update", holder["f"])
    store.emit("orders/updated", order)
    return {"fulfillment": holder["f"], "userErrors": []}


def _refund_items(order: dict, inputs: list[dict]):
    lines = {line["id"]: line for line in order["lineItems"]}
    items, errors = [], []
    for position, item in enumerate(inputs):
        field = ["refundLineItems", str(position)]
        line = lines.get(item["lineItemId"])
        restock = item.get("restockType") or "NO_RESTOCK"
        if line is None:
            errors.append(_error(field + ["lineItemId"],
                                 f"Line item {item['lineItemId']} does not belong to the order."))
        elif not 0 < item["quantity"] <= line["refundableQuantity"]:
            errors.append(_error(field + ["quantity"], f"Quantity {item['quantity']} is more than the "
                                 f"{line['refundableQuantity']} refundable for {line['id']}."))
        elif restock == "RETURN" and lifecycle.fulfilled_quantity(line, order) < item["quantity"]:
            errors.append(_error(field + ["restockType"], "RETURN needs fulfilled units; use CANCEL for unfulfilled."))
        elif restock == "CANCEL" and line["_fo_line"]["remainingQuantity"] < item["quantity"]:
            errors.append(_error(field + ["restockType"], "CANCEL needs unfulfilled units; use RETURN for fulfilled."))
        else:
            items.append((item["lineItemId"], item["quantity"], restock))
    return items, errors


@resolver("Mutation", "refundCreate")
@idempotent(required=True, mismatch_error=MISMATCH)
def refund_create(_, info, input):
    store = info.context.store
    with store.lock:
        order = store.order_by_gid(input.get("orderId") or "")
        if order is None:
            return {"refund": None, "order": None, "userErrors": [_error(["orderId"], "Order does not exist.")]}
        items, errors = _refund_items(order, input.get("refundLineItems") or [])
        shipping = input.get("shipping") or {}
        full_shipping = bool(shipping.get("fullRefund"))
        if shipping.get("amount") is not None and not full_shipping:
            errors.append(_error(["shipping", "amount"],
                                 "The sandbox refunds shipping only in full (fullRefund: true)."))
        money = sum((Decimal(str(t["amount"])) for t in input.get("transactions") or [] if t.get("kind") in
                     (None, "REFUND")), Decimal("0"))
        if money > order["totalReceivedSet"]["presentmentMoney"]["amount"] - order["totalRefundedSet"][
                "presentmentMoney"]["amount"]:
            errors.append(_error(["transactions"], "Refund amount is more than the amount that can be refunded."))
        if errors:
            return {"refund": None, "order": None, "userErrors": errors}
        holder = {}

        def mutate(target, at):
            lines = {line["id"]: line for line in target["lineItems"]}
            holder["r"] = lifecycle.create_refund(target, [(lines[i], q, r) for i, q, r in items], full_shipping, at,
                                                  input.get("note"), money_back=money)
            if money and target["transactions"][-1]["gateway"] == "shopify_payments":
                store.note_money(target["_index"], at)

        updated = store.change_order(order["_index"], mutate, [])
    store.emit("refunds/create", holder["r"])
    store.emit("orders/updated", updated)
    return {"refund": holder["r"], "order": updated, "userErrors": []}


from app.shopify.sandbox import mutations_inventory  # noqa: E402,F401
