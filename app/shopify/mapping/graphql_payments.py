"""Admin GraphQL Shopify Payments nodes (payouts, balance transactions) → canonical records."""

from __future__ import annotations

from typing import Any

from app.commerce.records import PAYOUT_SUMMARY_FIELDS, BalanceTransactionRecord, PayoutRecord
from app.shopify.mapping.common import Issues, MappingError, gid, lower, parse_dt, snake
from app.shopify.mapping.graphql import ref, single_money

SUMMARY_GRAPHQL_KEYS = {
    "charges_gross": "chargesGross", "charges_fee": "chargesFee", "refunds_gross": "refundsFeeGross",
    "refunds_fee": "refundsFee", "adjustments_gross": "adjustmentsGross", "adjustments_fee": "adjustmentsFee",
    "reserved_funds_gross": "reservedFundsGross", "reserved_funds_fee": "reservedFundsFee",
    "retried_payouts_gross": "retriedPayoutsGross", "retried_payouts_fee": "retriedPayoutsFee",
}


def payout_from_graphql(node: dict[str, Any]) -> PayoutRecord:
    issues = Issues()
    if not node.get("id"):
        raise MappingError("payout has no id")
    for key in ("status", "issuedAt", "net"):
        issues.require(node, key, "payout")
    summary = node.get("summary") or {}
    values = []
    for name in PAYOUT_SUMMARY_FIELDS:
        amount = single_money(summary.get(SUMMARY_GRAPHQL_KEYS[name]), issues, f"payout.summary.{name}")
        if amount is not None:
            values.append((name, amount.amount))
    return PayoutRecord(shopify_id=node["id"], status=lower(node.get("status")),
                        issued_at=parse_dt(node.get("issuedAt")), net=single_money(node.get("net"), issues, "payout"),
                        summary=tuple(values), validation_issues=issues.tuple())


def balance_transaction_from_graphql(node: dict[str, Any]) -> BalanceTransactionRecord:
    issues = Issues()
    if not node.get("id"):
        raise MappingError("balance transaction has no id")
    for key in ("type", "amount", "transactionDate"):
        issues.require(node, key, "balance_transaction")
    payout = node.get("associatedPayout") or {}
    source_id = node.get("sourceId")
    return BalanceTransactionRecord(
        shopify_id=node["id"], type=snake(node.get("type")),
        amount=single_money(node.get("amount"), issues, "balance_transaction"),
        fee=single_money(node.get("fee"), issues, "balance_transaction.fee"),
        net=single_money(node.get("net"), issues, "balance_transaction.net"), test=bool(node.get("test")),
        payout_id=ref(payout), payout_status=lower(payout.get("status")), source_type=snake(node.get("sourceType")),
        source_id=str(source_id) if source_id is not None else None,
        source_order_id=ref(node.get("associatedOrder")),
        source_order_transaction_id=gid("OrderTransaction", node.get("sourceOrderTransactionId")),
        processed_at=parse_dt(node.get("transactionDate")), adjustment_reason=lower(node.get("adjustmentReason")),
        validation_issues=issues.tuple(),
    )
