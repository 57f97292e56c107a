"""What happens to an order after checkout: payment, fulfilment orders, fulfilments, refunds, returns, cancellation.

The generator replays an order's plan through these functions and the mutations call the same ones, so a generated
order and one changed through the API follow the same rules. `recompute` derives every status, quantity and
`current*` total from the facts (lines, fulfilments, refunds, transactions); nothing derived is stored elsewhere.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from app.shopify.sandbox.catalog import CARRIERS, LOCATIONS
from app.shopify.sandbox.money import Amount, bag_amount, money_bag, q2, total
from app.shopify.sandbox.profile import ShopProfile, child_id, gid, iso
from app.shopify.sandbox.timeline import OrderPlan

LOCATION = {"__typename": "Location", "id": gid("Location", LOCATIONS[0][0]), "name": LOCATIONS[0][1]}


def _bag(order: dict, amount: Amount) -> dict:
    return money_bag(amount, order["currencyCode"], order["presentmentCurrencyCode"])


def next_slot(order: dict, key: str) -> int:
    order.setdefault("_slots", {})
    order["_slots"][key] = order["_slots"].get(key, -1) + 1
    return order["_slots"][key]


def apply_plan(order: dict, plan: OrderPlan, profile: ShopProfile) -> None:
    _set_totals(order)
    make_fulfillment_orders(order, plan.created)
    amount = bag_amount(order["totalPriceSet"])
    if plan.manual_capture:
        add_transaction(order, "AUTHORIZATION", amount, plan.paid_at, plan.gateway)
    else:
        add_transaction(order, "SALE", amount, plan.paid_at, plan.gateway)
    if plan.cancelled:
        _cancel(order, plan)
    auto_all = profile.auto_fulfill == "ALL" and plan.auto_fulfils(profile.auto_fulfill)
    if plan.auto_fulfils(profile.auto_fulfill):
        # seconds after payment, no tracking: all lines (ALL) or only the gift cards (GIFT_CARDS), as Shopify does
        lines = [l for l in order["lineItems"] if auto_all or l["isGiftCard"]]
        create_fulfillment(order, [(l, l["quantity"]) for l in lines], [], plan.auto_fulfil_at)
    if plan.fulfil != "none" and not auto_all:
        physical = [l for l in order["lineItems"] if l["requiresShipping"]]
        if plan.fulfil == "partial" and (len(physical) > 1 or physical[0]["quantity"] > 1):
            items = [(physical[0], physical[0]["quantity"] if len(physical) > 1 else 1)]
        else:
            items = [(l, l["quantity"]) for l in physical]
        company, url = CARRIERS[order["_index"] % len(CARRIERS)]
        number = f"{company[:2].upper()}{order['_index']:09d}"
        fulfillment = create_fulfillment(order, items, [_tracking(company, number, url)], plan.fulfil_at)
        if plan.tracking_changed:
            update_tracking(order, fulfillment, [_tracking(company, number + "R", url)], plan.tracking_changed_at)
    if plan.refund != "none":
        _refund_from_plan(order, plan)
    recompute(order)
    order["updatedAt"] = iso(max(plan.events(profile.auto_fulfill)))


def _tracking(company: str | None, number: str | None, url_template: str | None = None, url: str | None = None):
    if url is None and url_template and number:
        url = url_template.format(number)
    return {"__typename": "FulfillmentTrackingInfo", "company": company, "number": number, "url": url}


def _set_totals(order: dict) -> None:
    lines, shipping = order["lineItems"], order["shippingLines"]
    subtotal = total(l["_total"] for l in lines)
    shipping_price = total(s["_price"] for s in shipping)
    tax = total(l["_tax"] for l in lines) + total(s["_tax"] for s in shipping)
    price = subtotal + shipping_price + (Amount.zero() if order["taxesIncluded"] else tax)
    discounts = total(bag_amount(l["totalDiscountSet"]) for l in lines)
    order.update({
        "subtotalPriceSet": _bag(order, subtotal), "totalShippingPriceSet": _bag(order, shipping_price),
        "totalTaxSet": _bag(order, tax), "totalPriceSet": _bag(order, price),
        "originalTotalPriceSet": _bag(order, price), "totalDiscountsSet": _bag(order, discounts),
        "currentTotalDiscountsSet": _bag(order, discounts), "currentTotalDutiesSet": None,
        "originalTotalDutiesSet": None, "totalWeight": str(sum(l["_grams"] * l["quantity"] for l in lines)),
        "requiresShipping": any(l["requiresShipping"] for l in lines),
        "taxLines": _aggregate_tax_lines(order, [t for x in lines + shipping for t in x["taxLines"]]),
    })


def _aggregate_tax_lines(order: dict, tax_lines: list[dict]) -> list[dict]:
    grouped: dict[tuple[str, float], Amount] = {}
    for line in tax_lines:
        key = (line["title"], line["rate"])
        grouped[key] = grouped.get(key, Amount.zero()) + line["_amount"]
    return [{"__typename": "TaxLine", "title": title, "rate": rate, "ratePercentage": rate * 100,
             "priceSet": _bag(order, amount), "channelLiable": False, "source": "Shopify", "_amount": amount}
            for (title, rate), amount in grouped.items()]


def make_fulfillment_orders(order: dict, at: datetime) -> None:
    groups = (("SHIPPING", [l for l in order["lineItems"] if l["requiresShipping"]]),
              ("NONE", [l for l in order["lineItems"] if not l["requiresShipping"]]))
    for method, lines in groups:
        if not lines:
            continue
        slot = next_slot(order, "FulfillmentOrder")
        fo = {"__typename": "FulfillmentOrder", "id": gid("FulfillmentOrder", child_id(
            "FulfillmentOrder", order["_index"], slot)), "status": "OPEN", "requestStatus": "UNSUBMITTED",
            "createdAt": iso(at), "updatedAt": iso(at), "assignedLocation": {"location": LOCATION,
                                                                              "name": LOCATION["name"]},
            "deliveryMethod": {"__typename": "DeliveryMethod", "methodType": method},
            "supportedActions": [{"action": "CREATE_FULFILLMENT"}], "orderId": order["id"],
            "orderName": order["name"], "lineItems": []}
        for line in lines:
            fo_slot = next_slot(order, "FulfillmentOrderLineItem")
            fo["lineItems"].append({
                "__typename": "FulfillmentOrderLineItem", "id": gid("FulfillmentOrderLineItem", child_id(
                    "FulfillmentOrderLineItem", order["_index"], fo_slot)), "lineItem": line, "sku": line["sku"],
                "totalQuantity": line["quantity"], "remainingQuantity": line["quantity"],
                "requiresShipping": line["requiresShipping"], "productTitle": line["title"],
                "variantTitle": None, "vendor": line["vendor"]})
            line["_fo_line"] = fo["lineItems"][-1]
            line["_fo"] = fo
        order["fulfillmentOrders"].append(fo)


def add_transaction(order: dict, kind: str, amount: Amount, at: datetime, gateway: str,
                    parent: dict | None = None, status: str = "SUCCESS") -> dict:
    slot = next_slot(order, "OrderTransaction")
    txn = {"__typename": "OrderTransaction", "id": gid("OrderTransaction", child_id(
        "OrderTransaction", order["_index"], slot)), "kind": kind, "status": status, "gateway": gateway,
        "formattedGateway": "Shopify Payments" if gateway == "shopify_payments" else "PayPal",
        "amountSet": _bag(order, amount), "createdAt": iso(at), "processedAt": iso(at), "test": False,
        "errorCode": None, "authorizationCode": None,
        "parentTransaction": parent and {"__typename": "OrderTransaction", "id": parent["id"]},
        "_amount": amount, "_at": at}
    order["transactions"].append(txn)
    return txn


def create_fulfillment(order: dict, items: list[tuple[dict, int]], tracking: list[dict], at: datetime,
                       location: dict | None = None) -> dict:
    """Fulfil `items` (line, quantity) from their fulfilment orders; quantities must be available (callers check)."""
    slot = next_slot(order, "Fulfillment")
    fulfillment = {"__typename": "Fulfillment", "id": gid("Fulfillment", child_id("Fulfillment", order["_index"], slot)),
                   "name": f"{order['name']}-F{slot + 1}", "status": "SUCCESS", "displayStatus": "FULFILLED",
                   "createdAt": iso(at), "updatedAt": iso(at), "deliveredAt": None, "inTransitAt": None,
                   "estimatedDeliveryAt": None, "location": location or LOCATION, "totalQuantity": 0,
                   "service": {"__typename": "FulfillmentService", "serviceName": "Manual", "type": "MANUAL",
                               "handle": "manual"},
                   "trackingInfo": tracking, "fulfillmentLineItems": [], "requiresShipping":
                       any(line["requiresShipping"] for line, _ in items), "_order": order}
    for line, quantity in items:
        fli = next_slot(order, "FulfillmentLineItem")
        fulfillment["fulfillmentLineItems"].append({
            "__typename": "FulfillmentLineItem", "id": gid("FulfillmentLineItem", child_id(
                "FulfillmentLineItem", order["_index"], fli)), "quantity": quantity, "lineItem": line,
            "originalTotalSet": _bag(order, Amount(q2(line["_total"].presentment * quantity / line["quantity"]),
                                                   q2(line["_total"].shop * quantity / line["quantity"])))})
        fulfillment["totalQuantity"] += quantity
        fo_line = line["_fo_line"]
        fo_line["remainingQuantity"] -= quantity
        _refresh_fo_status(line["_fo"], at)
    order["fulfillments"].append(fulfillment)
    return fulfillment


def _refresh_fo_status(fo: dict, at: datetime) -> None:
    remaining = sum(item["remainingQuantity"] for item in fo["lineItems"])
    fo["status"] = "CLOSED" if remaining == 0 else "IN_PROGRESS" if remaining < sum(
        item["totalQuantity"] for item in fo["lineItems"]) else "OPEN"
    fo["supportedActions"] = [] if remaining == 0 else [{"action": "CREATE_FULFILLMENT"}]
    fo["updatedAt"] = iso(at)


def update_tracking(order: dict, fulfillment: dict, tracking: list[dict], at: datetime) -> None:
    fulfillment["trackingInfo"] = tracking
    fulfillment["updatedAt"] = iso(at)


def fulfilled_quantity(line: dict, order: dict) -> int:
    return sum(fli["quantity"] for f in order["fulfillments"] for fli in f["fulfillmentLineItems"]
               if fli["lineItem"] is line)


def _cancel(order: dict, plan: OrderPlan) -> None:
    order["cancelledAt"] = iso(plan.cancelled_at)
    order["cancelReason"] = "CUSTOMER"
    order["closed"], order["closedAt"] = True, iso(plan.cancelled_at)
    create_refund(order, [(l, l["quantity"], "CANCEL") for l in order["lineItems"]], True, plan.cancelled_at,
                  "Order cancelled by the customer", derive_after=False)


def _refund_from_plan(order: dict, plan: OrderPlan) -> None:
    lines = order["lineItems"]
    if plan.refund == "full":
        items = [(l, l["quantity"], _restock_type(order, l, restock=True)) for l in lines]
        create_refund(order, items, True, plan.refund_at, "Full refund", derive_after=False)
        return
    line = next((l for l in lines if l["requiresShipping"]), lines[0])
    restock = (order["_index"] % 2) == 0
    create_refund(order, [(line, 1, _restock_type(order, line, restock))], False, plan.refund_at,
                  "Damaged in transit" if not restock else "Returned by the customer", derive_after=False)


def _restock_type(order: dict, line: dict, restock: bool) -> str:
    if not line["requiresShipping"]:
        return "NO_RESTOCK"
    if fulfilled_quantity(line, order) == 0:
        return "CANCEL"
    return "RETURN" if restock else "NO_RESTOCK"


def create_refund(order: dict, items: list[tuple[dict, int, str]], refund_shipping: bool, at: datetime,
                  note: str | None = None, derive_after: bool = True, **options) -> dict:
    """Refund line quantities (with a restock type) and optionally the shipping; money goes back to the payment."""
    from app.shopify.sandbox.refunds import build_refund  # keeps this module about the order's state machine
    refund = build_refund(order, items, refund_shipping, at, note, **options)
    order["refunds"].append(refund)
    if derive_after:
        recompute(order)
    return refund


def recompute(order: dict) -> None:
    from app.shopify.sandbox.status import derive
    derive(order)


def later_than(order: dict, moment: datetime) -> datetime:
    """A timestamp strictly after the order's last change (mutations must move updatedAt forward)."""
    last = datetime.fromisoformat(order["updatedAt"].replace("Z", "+00:00"))
    return max(moment, last + timedelta(seconds=1))
