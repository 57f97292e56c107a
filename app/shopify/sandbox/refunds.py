"""Refunds and returns: amounts per refunded unit, the refund transaction, the Return for restocked goods.

Each refunded unit gets its share of the line's discounted total and tax; refunding the last units of a line takes
what is left, so a fully refunded line returns exactly what was paid (no cent lost to rounding). The money refunded
is subtotal + tax (taxes-excluded shops) or subtotal (taxes included, where the subtotal already contains the tax),
plus the shipping refunded.
"""

from __future__ import annotations

from datetime import datetime

from app.shopify.sandbox.money import Amount, money_bag, q2, total
from app.shopify.sandbox.profile import child_id, gid, iso


def _share(amount: Amount, qty: int, of: int) -> Amount:
    return Amount(q2(amount.presentment * qty / of), q2(amount.shop * qty / of))


def _bag(order: dict, amount: Amount) -> dict:
    return money_bag(amount, order["currencyCode"], order["presentmentCurrencyCode"])


def refunded_quantity(line: dict) -> int:
    return line.get("_refunded_qty", 0)


AUTO = object()  # refund what the lines and shipping are worth (the generator's refunds)


def build_refund(order: dict, items: list[tuple[dict, int, str]], refund_shipping: bool, at: datetime,
                 note: str | None, money_back=AUTO) -> dict:
    """`money_back`: AUTO, or the presentment amount the caller's transactions return (Decimal; 0 = no money)."""
    from app.shopify.sandbox.lifecycle import LOCATION, add_transaction, next_slot, _refresh_fo_status
    slot = next_slot(order, "Refund")
    refund_lines, subtotals, taxes = [], [], []
    for line, qty, restock_type in items:
        already = refunded_quantity(line)
        if qty <= 0:
            continue
        if already + qty == line["quantity"]:
            subtotal = line["_total"] - line.get("_refunded_subtotal", Amount.zero())
            tax = line["_tax"] - line.get("_refunded_tax", Amount.zero())
        else:
            subtotal, tax = _share(line["_total"], qty, line["quantity"]), _share(line["_tax"], qty, line["quantity"])
        line["_refunded_qty"] = already + qty
        line["_refunded_subtotal"] = line.get("_refunded_subtotal", Amount.zero()) + subtotal
        line["_refunded_tax"] = line.get("_refunded_tax", Amount.zero()) + tax
        if restock_type in ("CANCEL",) or (restock_type == "NO_RESTOCK" and line["_fo_line"]["remainingQuantity"]):
            cancelled = min(qty, line["_fo_line"]["remainingQuantity"])
            line["_fo_line"]["remainingQuantity"] -= cancelled
            _refresh_fo_status(line["_fo"], at)
        rli = next_slot(order, "RefundLineItem")
        refund_lines.append({
            "__typename": "RefundLineItem", "id": gid("RefundLineItem", child_id("RefundLineItem", order["_index"], rli)),
            "lineItem": line, "quantity": qty, "restockType": restock_type,
            "restocked": restock_type in ("RETURN", "CANCEL") and line["requiresShipping"],
            "location": LOCATION if restock_type in ("RETURN", "CANCEL") and line["requiresShipping"] else None,
            "priceSet": _bag(order, line["_unit"]), "subtotalSet": _bag(order, subtotal),
            "totalTaxSet": _bag(order, tax), "_subtotal": subtotal, "_tax": tax})
        subtotals.append(subtotal)
        taxes.append(tax)
    shipping_lines, shipping_total, shipping_tax = _shipping_refunds(order, refund_shipping)
    money = total(subtotals) + shipping_total
    if not order["taxesIncluded"]:
        money = money + total(taxes) + shipping_tax
    if money_back is not AUTO:
        money = Amount.of(money_back, order["presentmentCurrencyCode"], order["currencyCode"])
    refund = {"__typename": "Refund", "id": gid("Refund", child_id("Refund", order["_index"], slot)),
              "legacyResourceId": str(child_id("Refund", order["_index"], slot)), "createdAt": iso(at),
              "updatedAt": iso(at), "processedAt": iso(at), "note": note, "return": None, "duties": [],
              "refundLineItems": refund_lines, "refundShippingLines": shipping_lines, "orderAdjustments": [],
              "totalRefundedSet": _bag(order, money), "transactions": [], "_order": order,
              "_tax": total(taxes) + shipping_tax, "_shipping": shipping_total, "_subtotal": total(subtotals)}
    parent = _captured(order)
    if parent is not None and (money.presentment or money.shop):
        kind = "REFUND" if parent["kind"] in ("SALE", "CAPTURE") else "VOID"
        refund["transactions"].append(add_transaction(order, kind, money, at, parent["gateway"], parent))
    elif parent is None:
        auth = next((t for t in order["transactions"] if t["kind"] == "AUTHORIZATION"), None)
        if auth is not None and not any(t["kind"] == "VOID" for t in order["transactions"]):
            refund["transactions"].append(add_transaction(order, "VOID", auth["_amount"], at, auth["gateway"], auth))
    if any(rl["restockType"] == "RETURN" for rl in refund_lines):
        refund["return"] = _make_return(order, refund, at)
    return refund


def _captured(order: dict) -> dict | None:
    return next((t for t in order["transactions"] if t["kind"] in ("SALE", "CAPTURE") and t["status"] == "SUCCESS"),
                None)


def _shipping_refunds(order: dict, refund_shipping: bool) -> tuple[list[dict], Amount, Amount]:
    from app.shopify.sandbox.lifecycle import next_slot
    if not refund_shipping:
        return [], Amount.zero(), Amount.zero()
    result, prices, taxes = [], [], []
    for line in order["shippingLines"]:
        if line.get("_refunded"):
            continue
        line["_refunded"] = True
        slot = next_slot(order, "RefundShippingLine")
        result.append({"__typename": "RefundShippingLine", "shippingLine": line, "id": gid(
                           "RefundShippingLine", child_id("RefundShippingLine", order["_index"], slot)),
                       "subtotalAmountSet": _bag(order, line["_price"]), "taxAmountSet": _bag(order, line["_tax"])})
        prices.append(line["_price"])
        taxes.append(line["_tax"])
    return result, total(prices), total(taxes)


def _make_return(order: dict, refund: dict, at: datetime) -> dict:
    from app.shopify.sandbox.lifecycle import next_slot
    slot = next_slot(order, "Return")
    ret = {"__typename": "Return", "id": gid("Return", child_id("Return", order["_index"], slot)),
           "name": f"{order['name']}-R{slot + 1}", "status": "CLOSED", "createdAt": iso(at), "closedAt": iso(at),
           "requestApprovedAt": iso(at), "decline": None, "totalQuantity": 0, "returnLineItems": [],
           "exchangeLineItems": [], "refunds": [refund], "order": {"__typename": "Order", "id": order["id"]}}
    for rl in refund["refundLineItems"]:
        if rl["restockType"] != "RETURN":
            continue
        fli = next((f for fu in order["fulfillments"] for f in fu["fulfillmentLineItems"]
                    if f["lineItem"] is rl["lineItem"]), None)
        item_slot = next_slot(order, "ReturnLineItem")
        ret["returnLineItems"].append({
            "__typename": "ReturnLineItem", "id": gid("ReturnLineItem", child_id("ReturnLineItem", order["_index"],
                                                                                   item_slot)),
            "quantity": rl["quantity"], "refundableQuantity": 0, "refundedQuantity": rl["quantity"],
            "processedQuantity": rl["quantity"], "unprocessedQuantity": 0, "fulfillmentLineItem": fli,
            "returnReason": "OTHER", "returnReasonNote": "", "customerNote": None,
            "returnReasonDefinition": {"__typename": "ReturnReasonDefinition", "handle": "other", "name": "Other"},
            "withCodeDiscountedTotalPriceSet": _bag(order, rl["_subtotal"])})
        ret["totalQuantity"] += rl["quantity"]
    order["returns"].append(ret)
    return {"__typename": "Return", "id": ret["id"], "name": ret["name"], "status": ret["status"]}
