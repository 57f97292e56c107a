"""Derived order state: quantities per line, financial and fulfilment status, `current*` totals.

Called after every change. Rules (Shopify's, as far as the sandbox models them):
- fulfillable = what the line's fulfilment order still holds; refunded-before-fulfilment units are cancelled there.
- FULFILLED when nothing is left to fulfil and something was fulfilled; PARTIALLY_FULFILLED when some was;
  FULFILLMENT_NOT_REQUIRED (2026-10) for orders with no line requiring shipping that were never fulfilled.
- currentTotalPrice = totalPrice - refunded lines (with their tax when taxes are excluded) - refunded shipping.
"""

from __future__ import annotations

from app.shopify.sandbox.money import Amount, bag_amount, money_bag, q2, total


def derive(order: dict) -> None:
    bag = lambda amount: money_bag(amount, order["currencyCode"], order["presentmentCurrencyCode"])  # noqa: E731
    fulfilled_total = remaining_total = 0
    fulfilled_by_line: dict[int, int] = {}
    for fulfillment in order["fulfillments"]:
        for fli in fulfillment["fulfillmentLineItems"]:
            key = id(fli["lineItem"])
            fulfilled_by_line[key] = fulfilled_by_line.get(key, 0) + fli["quantity"]
    for line in order["lineItems"]:
        fulfilled = fulfilled_by_line.get(id(line), 0)
        refunded = line.get("_refunded_qty", 0)
        remaining = line["_fo_line"]["remainingQuantity"]
        line["currentQuantity"] = line["quantity"] - refunded
        line["refundableQuantity"] = line["quantity"] - refunded
        line["fulfillableQuantity"] = remaining
        line["unfulfilledQuantity"] = remaining
        line["nonFulfillableQuantity"] = line["quantity"] - remaining - fulfilled
        line["fulfillmentStatus"] = "fulfilled" if remaining == 0 and fulfilled else \
            "partial" if fulfilled else None
        line["unfulfilledDiscountedTotalSet"] = bag(Amount(q2(line["_total"].presentment * remaining / line["quantity"]),
                                                          q2(line["_total"].shop * remaining / line["quantity"])))
        fulfilled_total += fulfilled
        remaining_total += remaining
    order["displayFulfillmentStatus"] = _fulfillment_status(order, fulfilled_total, remaining_total)
    _money(order, bag)


def _fulfillment_status(order: dict, fulfilled: int, remaining: int) -> str:
    if fulfilled and remaining == 0:
        return "FULFILLED"
    if fulfilled:
        return "PARTIALLY_FULFILLED"
    if not order["requiresShipping"] and remaining:
        return "FULFILLMENT_NOT_REQUIRED"
    return "UNFULFILLED"


def _money(order: dict, bag) -> None:
    txns = [t for t in order["transactions"] if t["status"] == "SUCCESS"]
    received = total(t["_amount"] for t in txns if t["kind"] in ("SALE", "CAPTURE"))
    refunded = total(t["_amount"] for t in txns if t["kind"] == "REFUND")
    authorized = total(t["_amount"] for t in txns if t["kind"] == "AUTHORIZATION")
    voided = any(t["kind"] == "VOID" for t in txns)
    refunds = order["refunds"]
    refunded_lines = total(r["_subtotal"] for r in refunds)
    refunded_tax = total(r["_tax"] for r in refunds)
    refunded_shipping = total(r["_shipping"] for r in refunds)
    price = bag_amount(order["totalPriceSet"])
    current = price - refunded_lines - refunded_shipping
    if not order["taxesIncluded"]:
        current = current - refunded_tax
    order["currentSubtotalPriceSet"] = bag(bag_amount(order["subtotalPriceSet"]) - refunded_lines)
    order["currentTotalPriceSet"] = bag(current)
    order["currentTotalTaxSet"] = bag(bag_amount(order["totalTaxSet"]) - refunded_tax)
    order["currentShippingPriceSet"] = bag(bag_amount(order["totalShippingPriceSet"]) - refunded_shipping)
    order["totalRefundedSet"] = bag(refunded)
    order["totalRefundedShippingSet"] = bag(refunded_shipping)
    order["totalReceivedSet"] = bag(received)
    order["netPaymentSet"] = bag(received - refunded)
    captured = received.presentment > 0
    order["totalCapturableSet"] = bag(authorized if not captured and not voided else Amount.zero())
    outstanding = current - (received - refunded) if captured else (Amount.zero() if voided else current)
    order["totalOutstandingSet"] = bag(outstanding if outstanding.presentment > 0 else Amount.zero())
    order["fullyPaid"] = captured and outstanding.presentment <= 0
    order["unpaid"] = not captured
    if voided:
        status = "VOIDED"
    elif not captured:
        status = "AUTHORIZED" if authorized.presentment else "PENDING"
    elif refunded.presentment >= received.presentment:
        status = "REFUNDED"
    elif refunded.presentment > 0:
        status = "PARTIALLY_REFUNDED"
    else:
        status = "PAID"
    order["displayFinancialStatus"] = status
    order["returnStatus"] = "RETURNED" if order["returns"] else "NO_RETURN"
