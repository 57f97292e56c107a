"""Shopify Payments payouts and balance transactions, derived from the orders' transactions.

One payout per day with Shopify Payments money movement, issued two days later, in the shop currency. A charge's
fee is 2.9 % + 0.25 (rounded half-up); refunds carry no fee. Payout net = Σ balance-transaction nets, and the
summary's gross and fee figures add up to it, so a reconciler can tie every payout to its orders.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from app.shopify.sandbox.money import ZERO, money_v2, q2
from app.shopify.sandbox.profile import BASES, CHILD_SLOTS, PAYOUT_BASE, gid, iso, parse_gid

FEE_RATE, FEE_FIXED = Decimal("0.029"), Decimal("0.25")


def _txn_slot(txn: dict) -> int:
    return (parse_gid(txn["id"])[1] - BASES["OrderTransaction"]) % CHILD_SLOTS


def balance_transactions_for_day(store, day: int) -> list[dict]:
    currency = store.profile.currency
    payout_id = gid("ShopifyPaymentsPayout", PAYOUT_BASE + day)
    status = payout_status(store, day)
    result = []
    for index in store.money_days.get(day, []):
        order = store.order(index)
        for txn in order["transactions"]:
            if txn["gateway"] != "shopify_payments" or txn["status"] != "SUCCESS" or store.day_of(txn["_at"]) != day:
                continue
            if txn["kind"] in ("SALE", "CAPTURE"):
                amount, fee, kind = txn["_amount"].shop, q2(txn["_amount"].shop * FEE_RATE + FEE_FIXED), "CHARGE"
            elif txn["kind"] == "REFUND":
                amount, fee, kind = -txn["_amount"].shop, ZERO, "REFUND"
            else:
                continue
            legacy = BASES["ShopifyPaymentsBalanceTransaction"] + index * CHILD_SLOTS + _txn_slot(txn)
            txn_legacy = parse_gid(txn["id"])[1]
            result.append({
                "__typename": "ShopifyPaymentsBalanceTransaction", "id": gid("ShopifyPaymentsBalanceTransaction", legacy),
                "_legacy": legacy, "type": kind, "sourceType": kind, "test": False, "transactionDate": txn["createdAt"],
                "amount": money_v2(amount, currency), "fee": money_v2(fee, currency),
                "net": money_v2(amount - fee, currency), "sourceId": txn_legacy, "sourceOrderTransactionId": txn_legacy,
                "associatedOrder": {"__typename": "ShopifyPaymentsAssociatedOrder", "id": order["id"],
                                    "name": order["name"]},
                "associatedPayout": {"__typename": "ShopifyPaymentsBalanceTransactionAssociatedPayout",
                                     "id": payout_id, "status": status},
                "adjustmentReason": None, "adjustmentsOrders": [], "_day": day})
    return result


def payout_status(store, day: int) -> str:
    issued = store.profile.start + timedelta(days=day + 2)
    return "PAID" if issued <= datetime.now(timezone.utc) else "SCHEDULED"


def payout(store, day: int) -> dict:
    cached = store.payout_cache.get(day)
    if cached is not None:
        return cached
    currency = store.profile.currency
    txns = balance_transactions_for_day(store, day)
    charges = [t for t in txns if t["type"] == "CHARGE"]
    refunds = [t for t in txns if t["type"] == "REFUND"]
    charges_gross = sum((t["amount"]["amount"] for t in charges), ZERO)
    charges_fee = sum((t["fee"]["amount"] for t in charges), ZERO)
    refunds_gross = sum((t["amount"]["amount"] for t in refunds), ZERO)
    net = sum((t["net"]["amount"] for t in txns), ZERO)
    zero = money_v2(ZERO, currency)
    result = {
        "__typename": "ShopifyPaymentsPayout", "id": gid("ShopifyPaymentsPayout", PAYOUT_BASE + day),
        "legacyResourceId": str(PAYOUT_BASE + day), "issuedAt": iso(store.profile.start + timedelta(days=day + 2)),
        "status": payout_status(store, day), "transactionType": "DEPOSIT", "externalTraceId": None,
        "net": money_v2(net, currency), "gross": money_v2(charges_gross + refunds_gross, currency),
        "summary": {"chargesGross": money_v2(charges_gross, currency), "chargesFee": money_v2(charges_fee, currency),
                    "refundsFeeGross": money_v2(refunds_gross, currency), "refundsFee": zero,
                    "adjustmentsGross": zero, "adjustmentsFee": zero, "reservedFundsGross": zero,
                    "reservedFundsFee": zero, "retriedPayoutsGross": zero, "retriedPayoutsFee": zero,
                    "advanceGross": zero, "advanceFees": zero, "usdcRebateCreditAmount": zero},
        "_day": day, "_count": len(txns)}
    store.payout_cache[day] = result
    return result


def payout_days(store) -> list[int]:
    return sorted(day for day, indices in store.money_days.items() if indices)
