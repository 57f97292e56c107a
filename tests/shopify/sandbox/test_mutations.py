"""Mutations: fulfilment and tracking, idempotent refunds, inventory compare-and-swap, webhook subscriptions."""

from __future__ import annotations

from decimal import Decimal

REFUND = """mutation($input: RefundInput!, $key: String!) { refundCreate(input: $input) @idempotent(key: $key) {
  refund { id totalRefundedSet { presentmentMoney { amount } } } order { id updatedAt displayFinancialStatus }
  userErrors { field message } } }"""
ADJUST = """mutation($input: InventoryAdjustQuantitiesInput!, $key: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { changes { name delta quantityAfterChange } } userErrors { field message code } } }"""
FULFIL = """mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) {
  fulfillment { id status trackingInfo { company number url } } userErrors { field message } } }"""
TRACK = """mutation($id: ID!, $t: FulfillmentTrackingInput!) { fulfillmentTrackingInfoUpdate(fulfillmentId: $id,
  trackingInfoInput: $t) { fulfillment { id trackingInfo { number url } } userErrors { message } } }"""


def _open_order(store):
    for index in range(store.order_count):
        order = store.order(index)
        fo = next((f for f in order["fulfillmentOrders"] if f["status"] == "OPEN"
                   and f["deliveryMethod"]["methodType"] == "SHIPPING"), None)
        if fo and order["displayFinancialStatus"] == "PAID" and order["cancelledAt"] is None:
            return order, fo
    raise AssertionError("no open order in the store")


async def test_fulfil_then_change_tracking(sandbox) -> None:
    order, fo = _open_order(sandbox.store)
    before = order["updatedAt"]
    body = await sandbox.gql(FULFIL, {"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}],
                                            "trackingInfo": {"company": "UPS", "number": "1Z999"}}})
    fulfillment = body["data"]["fulfillmentCreate"]["fulfillment"]
    assert body["data"]["fulfillmentCreate"]["userErrors"] == []
    assert fulfillment["trackingInfo"] == [{"company": "UPS", "number": "1Z999",
                                            "url": "https://www.ups.com/track?tracknum=1Z999"}]
    current = sandbox.store.order(order["_index"])
    assert current["updatedAt"] > before
    assert all(item["remainingQuantity"] == 0 for f in current["fulfillmentOrders"] if f["id"] == fo["id"]
               for item in f["lineItems"])
    again = await sandbox.gql(FULFIL, {"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}]}})
    assert again["data"]["fulfillmentCreate"]["fulfillment"] is None
    assert "unfulfillable status" in again["data"]["fulfillmentCreate"]["userErrors"][0]["message"]
    body = await sandbox.gql(TRACK, {"id": fulfillment["id"], "t": {"company": "UPS", "number": "1Z000"}})
    assert body["data"]["fulfillmentTrackingInfoUpdate"]["fulfillment"]["trackingInfo"][0]["number"] == "1Z000"


async def test_refund_create_is_idempotent_and_requires_the_directive(sandbox) -> None:
    order, _ = _open_order(sandbox.store)
    line = order["lineItems"][0]
    amount = str(line["discountedUnitPriceSet"]["presentmentMoney"]["amount"])
    refund_input = {"orderId": order["id"], "refundLineItems": [{"lineItemId": line["id"], "quantity": 1,
                                                                 "restockType": "CANCEL"}],
                    "transactions": [{"amount": amount, "gateway": "shopify_payments", "kind": "REFUND",
                                      "orderId": order["id"]}]}
    first = await sandbox.gql(REFUND, {"input": refund_input, "key": "refund-1"})
    second = await sandbox.gql(REFUND, {"input": refund_input, "key": "refund-1"})
    assert first["data"]["refundCreate"]["userErrors"] == []
    assert second["data"]["refundCreate"]["refund"]["id"] == first["data"]["refundCreate"]["refund"]["id"]
    current = sandbox.store.order(order["_index"])
    assert len(current["refunds"]) == len(order["refunds"]) + 1           # one refund, not two
    assert current["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
    assert Decimal(first["data"]["refundCreate"]["refund"]["totalRefundedSet"]["presentmentMoney"]["amount"]) == \
        Decimal(amount)
    reused = await sandbox.gql(REFUND, {"input": {**refund_input, "note": "other"}, "key": "refund-1"})
    assert reused["data"]["refundCreate"]["userErrors"][0]["message"].startswith("The idempotency key was already used")
    no_key = await sandbox.gql(REFUND.replace(" @idempotent(key: $key)", "").replace(", $key: String!", ""),
                               {"input": refund_input})
    assert no_key["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REQUIRED"
    too_many = await sandbox.gql(REFUND, {"input": {**refund_input, "refundLineItems": [
        {"lineItemId": line["id"], "quantity": 99, "restockType": "NO_RESTOCK"}]}, "key": "refund-2"})
    assert too_many["data"]["refundCreate"]["userErrors"][0]["field"] == ["refundLineItems", "0", "quantity"]


async def test_inventory_adjust_compare_and_swap(sandbox) -> None:
    book = sandbox.store.inventory
    (item_id, location_id), level = next(iter(book.levels.items()))
    start = level["available"]
    change = {"inventoryItemId": item_id, "locationId": location_id, "delta": -2, "changeFromQuantity": start}
    payload = {"name": "available", "reason": "correction", "changes": [change]}
    body = await sandbox.gql(ADJUST, {"input": payload, "key": "adj-1"})
    assert body["data"]["inventoryAdjustQuantities"]["userErrors"] == []
    assert body["data"]["inventoryAdjustQuantities"]["inventoryAdjustmentGroup"]["changes"][0] == {
        "name": "available", "delta": -2, "quantityAfterChange": start - 2}
    repeat = await sandbox.gql(ADJUST, {"input": payload, "key": "adj-1"})
    assert repeat["data"] == body["data"] and book.levels[(item_id, location_id)]["available"] == start - 2
    stale = await sandbox.gql(ADJUST, {"input": payload, "key": "adj-2"})
    assert stale["data"]["inventoryAdjustQuantities"]["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE"
    missing = await sandbox.gql(ADJUST, {"input": {**payload, "changes": [{**change, "changeFromQuantity": None}]},
                                         "key": "adj-3"})
    assert missing["data"]["inventoryAdjustQuantities"]["userErrors"][0]["field"][-1] == "changeFromQuantity"
    assert book.levels[(item_id, location_id)]["available"] == start - 2


async def test_webhook_subscriptions_create_list_and_reject_duplicates(sandbox) -> None:
    create = """mutation($uri: String!) { webhookSubscriptionCreate(topic: ORDERS_UPDATED,
      webhookSubscription: {uri: $uri, format: JSON}) { webhookSubscription { id topic uri } userErrors { message } } }"""
    body = await sandbox.gql(create, {"uri": "https://example.test/webhooks/shopify"})
    sub = body["data"]["webhookSubscriptionCreate"]["webhookSubscription"]
    assert sub["topic"] == "ORDERS_UPDATED"
    dup = await sandbox.gql(create, {"uri": "https://example.test/webhooks/shopify"})
    assert dup["data"]["webhookSubscriptionCreate"]["userErrors"][0]["message"] == \
        "Address for this topic has already been taken"
    listed = await sandbox.gql("{ webhookSubscriptions(first: 5) { nodes { id uri apiVersion { handle } } } }")
    assert listed["data"]["webhookSubscriptions"]["nodes"] == [
        {"id": sub["id"], "uri": "https://example.test/webhooks/shopify", "apiVersion": {"handle": "2026-10"}}]
