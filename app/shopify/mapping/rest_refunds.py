"""Webhook / REST bodies for refunds, returns, payouts, balance transactions, inventory levels, draft orders."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from app.commerce.records import (
    PAYOUT_SUMMARY_FIELDS, BalanceTransactionRecord, InventoryLevelRecord, LineItemRecord, MoneySet, PayoutRecord,
    RefundAdjustmentRecord, RefundLineRecord, RefundRecord, ReturnLineRecord, ReturnRecord, TransactionRecord,
)
from app.shopify.mapping.common import Issues, MappingError, gid, lower, money, parse_dt, rest_gid, snake
from app.shopify.mapping.rest import Ctx, line_item, rest_money_set, transaction_from_webhook


def _first_currency(body: dict[str, Any]) -> str | None:
    """The presentment currency a refund's amounts use (REST refund transactions may carry `currency: null`)."""
    for item in body.get("refund_line_items") or ():
        for key in ("subtotal_set", "total_tax_set"):
            pres = (item.get(key) or {}).get("presentment_money") or {}
            if pres.get("currency_code"):
                return str(pres["currency_code"])
    for item in body.get("transactions") or ():
        if item.get("currency"):
            return str(item["currency"])
    return None


def _line_item_ref(item: dict[str, Any]) -> str | None:
    return rest_gid(item.get("line_item"), "LineItem") or gid("LineItem", item.get("line_item_id"))


def refund_from_webhook(body: dict[str, Any], *, order_id: str | None = None) -> RefundRecord:
    """A `refunds/create` body (or a refund embedded in an order) → RefundRecord."""
    issues = Issues()
    shopify_id = rest_gid(body, "Refund")
    if shopify_id is None:
        raise MappingError("refund has no id")
    for key in ("order_id", "created_at", "refund_line_items", "transactions"):
        issues.require(body, key, "refund")
    currency = _first_currency(body)
    ctx = Ctx(currency, currency, issues)
    for index, item in enumerate(body.get("refund_line_items") or ()):
        issues.require(item, "restock_type", f"refund.refund_line_items[{index}]")
    lines = tuple(
        RefundLineRecord(
            shopify_id=rest_gid(item, "RefundLineItem"), line_item_id=_line_item_ref(item),
            quantity=int(item.get("quantity") or 0), restock_type=lower(item.get("restock_type")),
            subtotal=ctx.money_set(item, "subtotal_set", "subtotal", "refund_line_items"),
            total_tax=ctx.money_set(item, "total_tax_set", "total_tax", "refund_line_items"),
            location_id=gid("Location", item.get("location_id")),
        ) for item in body.get("refund_line_items") or ()
    )
    adjustments = [
        RefundAdjustmentRecord(
            kind="shipping", shopify_id=rest_gid(item, "RefundShippingLine"),
            amount=rest_money_set(item.get("subtotal_amount_set"), issues, "refund_shipping_lines"),
            tax_amount=rest_money_set(item.get("tax_amount_set"), issues, "refund_shipping_lines"),
            reason=(item.get("shipping_line") or {}).get("title"),
        ) for item in body.get("refund_shipping_lines") or ()
    ]
    adjustments += [
        RefundAdjustmentRecord(
            kind="order_adjustment", shopify_id=rest_gid(item, "OrderAdjustment"),
            amount=ctx.money_set(item, "amount_set", "amount", "order_adjustments"),
            tax_amount=ctx.money_set(item, "tax_amount_set", "tax_amount", "order_adjustments"),
            reason=item.get("reason") or item.get("kind"),
        ) for item in body.get("order_adjustments") or ()
    ]
    adjustments += [
        RefundAdjustmentRecord(
            kind="duty", shopify_id=gid("Duty", item.get("duty_id")),
            amount=rest_money_set(item.get("amount_set"), issues, "duties"),
        ) for item in body.get("duties") or ()
    ]
    own_order = order_id or gid("Order", body.get("order_id"))
    transactions = tuple(
        _refund_transaction(item, currency, shopify_id, own_order) for item in body.get("transactions") or ()
    )
    return_ref = body.get("return")
    return RefundRecord(
        shopify_id=shopify_id, order_id=own_order, created_at=parse_dt(body.get("created_at")),
        processed_at=parse_dt(body.get("processed_at")), note=body.get("note"), restock=body.get("restock"),
        return_id=rest_gid(return_ref, "Return") if isinstance(return_ref, dict) else None,
        lines=lines, adjustments=tuple(adjustments), transactions=transactions, validation_issues=issues.tuple(),
        rest_shaped=True,
    )


def _refund_transaction(item: dict[str, Any], currency: str | None, refund_id: str,
                        order_id: str | None) -> TransactionRecord:
    record = transaction_from_webhook(item, fallback_currency=currency, refund_id=refund_id)
    return replace(record, order_id=order_id or record.order_id)


def return_from_webhook(body: dict[str, Any]) -> ReturnRecord:
    """A `returns/*` body → ReturnRecord (bodies of approve/decline/close may carry only the status)."""
    issues = Issues()
    shopify_id = rest_gid(body, "Return")
    if shopify_id is None:
        raise MappingError("return has no id")
    issues.require(body, "status", "return")
    order = body.get("order")
    order_id = rest_gid(order, "Order") if isinstance(order, dict) else gid("Order", body.get("order_id"))
    lines = []
    for item in body.get("return_line_items") or ():
        fli = item.get("fulfillment_line_item") or {}
        definition = item.get("return_reason_definition") or {}
        lines.append(ReturnLineRecord(
            shopify_id=rest_gid(item, "ReturnLineItem"),
            line_item_id=rest_gid(fli.get("line_item"), "LineItem") or gid("LineItem", item.get("line_item_id")),
            fulfillment_line_item_id=rest_gid(fli, "FulfillmentLineItem"), quantity=int(item.get("quantity") or 0),
            refundable_quantity=item.get("refundable_quantity"), refunded_quantity=item.get("refunded_quantity"),
            reason=lower(definition.get("handle") or item.get("return_reason")),
            reason_name=definition.get("name"), reason_note=item.get("return_reason_note"),
            customer_note=item.get("customer_note"),
        ))
    decline = body.get("decline") or {}
    return ReturnRecord(
        shopify_id=shopify_id, order_id=order_id, status=lower(body.get("status")), name=body.get("name"),
        total_quantity=body.get("total_return_line_items", body.get("total_quantity")),
        decline_reason=lower(decline.get("reason")), decline_note=decline.get("note"),
        created_at=parse_dt(body.get("created_at")), closed_at=parse_dt(body.get("closed_at")),
        lines=tuple(lines), validation_issues=issues.tuple(),
    )


SUMMARY_REST_KEYS = {name: f"{name}_amount" for name in PAYOUT_SUMMARY_FIELDS}


def payout_from_rest(body: dict[str, Any]) -> PayoutRecord:
    issues = Issues()
    shopify_id = rest_gid(body, "ShopifyPaymentsPayout")
    if shopify_id is None:
        raise MappingError("payout has no id")
    for key in ("status", "date", "currency", "amount"):
        issues.require(body, key, "payout")
    currency = body.get("currency")
    summary = body.get("summary") or {}
    values = []
    for name in PAYOUT_SUMMARY_FIELDS:
        amount = money(summary.get(SUMMARY_REST_KEYS[name]), currency, issues, f"payout.summary.{name}")
        if amount is not None:
            values.append((name, amount.amount))
    return PayoutRecord(
        shopify_id=shopify_id, status=lower(body.get("status")), issued_at=parse_dt(body.get("date")),
        net=money(body.get("amount"), currency, issues, "payout"), summary=tuple(values),
        validation_issues=issues.tuple(),
    )


def balance_transaction_from_rest(body: dict[str, Any]) -> BalanceTransactionRecord:
    issues = Issues()
    shopify_id = rest_gid(body, "ShopifyPaymentsBalanceTransaction")
    if shopify_id is None:
        raise MappingError("balance transaction has no id")
    for key in ("type", "currency", "amount", "processed_at"):
        issues.require(body, key, "balance_transaction")
    currency = body.get("currency")
    return BalanceTransactionRecord(
        shopify_id=shopify_id, type=snake(body.get("type")),
        amount=money(body.get("amount"), currency, issues, "balance_transaction"),
        fee=money(body.get("fee"), currency, issues, "balance_transaction.fee"),
        net=money(body.get("net"), currency, issues, "balance_transaction.net"), test=bool(body.get("test")),
        payout_id=gid("ShopifyPaymentsPayout", body.get("payout_id")), payout_status=lower(body.get("payout_status")),
        source_type=snake(body.get("source_type")), source_id=str(body["source_id"]) if body.get("source_id") else None,
        source_order_id=gid("Order", body.get("source_order_id")),
        source_order_transaction_id=gid("OrderTransaction", body.get("source_order_transaction_id")),
        processed_at=parse_dt(body.get("processed_at")), validation_issues=issues.tuple(),
    )


def inventory_level_from_webhook(body: dict[str, Any]) -> InventoryLevelRecord:
    item, location = gid("InventoryItem", body.get("inventory_item_id")), gid("Location", body.get("location_id"))
    if item is None or location is None:
        raise MappingError("inventory level needs inventory_item_id and location_id")
    available = body.get("available")
    return InventoryLevelRecord(item, location, int(available) if available is not None else None,
                                parse_dt(body.get("updated_at")))


@dataclass(frozen=True, slots=True)
class DraftOrderRecord:
    """A draft order: not a sale (the completed order arrives as its own order); kept for the lines' shipping facts."""

    shopify_id: str
    order_id: str | None
    name: str | None
    status: str | None
    currency: str | None
    taxes_included: bool | None
    completed_at: datetime | None
    updated_at: datetime | None
    line_items: tuple[LineItemRecord, ...]
    validation_issues: tuple[str, ...] = ()


def draft_order_from_webhook(body: dict[str, Any]) -> DraftOrderRecord:
    issues = Issues()
    shopify_id = rest_gid(body, "DraftOrder")
    if shopify_id is None:
        raise MappingError("draft order has no id")
    ctx = Ctx(body.get("currency"), body.get("currency"), Issues())  # draft lines have no ids: not order lines
    return DraftOrderRecord(
        shopify_id=shopify_id, order_id=gid("Order", body.get("order_id")), name=body.get("name"),
        status=lower(body.get("status")), currency=body.get("currency"), taxes_included=body.get("taxes_included"),
        completed_at=parse_dt(body.get("completed_at")), updated_at=parse_dt(body.get("updated_at")),
        line_items=tuple(line_item(item, ctx, i) for i, item in enumerate(body.get("line_items") or ())),
        validation_issues=issues.tuple(),
    )


@dataclass(frozen=True, slots=True)
class SuggestedRefund:
    """The legacy REST refund *calculate* answer: what Shopify suggests refunding (a preview, never stored)."""

    order_id: str | None
    lines: tuple[RefundLineRecord, ...]
    shipping: MoneySet | None
    shipping_maximum: MoneySet | None
    transactions: tuple[tuple[str | None, MoneySet | None, str | None], ...]  # (parent id, amount, gateway)


def suggested_refund_from_rest(body: dict[str, Any], currency: str) -> SuggestedRefund:
    issues = Issues()
    ctx = Ctx(currency, currency, issues)
    shipping = body.get("shipping") or {}
    transactions = body.get("transactions") or ()
    return SuggestedRefund(
        order_id=gid("Order", next((t.get("order_id") for t in transactions), None)),
        lines=tuple(
            RefundLineRecord(shopify_id=None, line_item_id=gid("LineItem", item.get("line_item_id")),
                             quantity=int(item.get("quantity") or 0), restock_type=lower(item.get("restock_type")),
                             subtotal=ctx.money_set(item, "subtotal_set", "subtotal", "refund_line_items"),
                             total_tax=ctx.money_set(item, "total_tax_set", "total_tax", "refund_line_items"))
            for item in body.get("refund_line_items") or ()
        ),
        shipping=ctx.money_set(shipping, "amount_set", "amount", "shipping"),
        shipping_maximum=ctx.money_set(shipping, "maximum_refundable_set", "maximum_refundable", "shipping"),
        transactions=tuple(
            (gid("OrderTransaction", t.get("parent_id")), ctx.money_set(t, "amount_set", "amount", "transactions"),
             t.get("gateway")) for t in transactions
        ),
    )
