"""Records → plain row dicts for bulk Core inserts (one executemany per child table).

Child ids are generated here (time-ordered UUIDs) so tax lines can point at their line or shipping line in the same
batch, without a round trip per row. JSON arrays are given as tuples (the records' own where they fit): they serialise
exactly like lists, and a tuple of plain values is not tracked by the garbage collector (a backfill batch holds
hundreds of thousands of row values; every tracked one is scanned again by each full collection).
"""

from __future__ import annotations

import uuid
from dataclasses import fields
from typing import Any

from app.commerce.money import to_minor
from app.ids import time_ordered_uuid
from app.commerce.records import (
    Address, FulfillmentOrderRecord, FulfillmentRecord, LineItemRecord, Money, MoneySet, OrderRecord, RefundRecord,
    ReturnRecord, TaxLineRecord, TransactionRecord,
)


_PAIRS: dict[int, tuple[MoneySet, tuple[int | None, int | None]]] = {}
_PAIRS_SIZE = 8192


def minor_pair(value: MoneySet | None) -> tuple[int | None, int | None]:
    """(shop, presentment) integer minor units. The mappers share MoneySets between records (they are memoised),
    so the pairs are remembered by identity: an entry holds its MoneySet, so the id cannot be reused while it is
    remembered; the memo is emptied when full."""
    if value is None:
        return None, None
    known = _PAIRS.get(id(value))
    if known is not None and known[0] is value:
        return known[1]
    shop, pres = value.shop, value.presentment
    pair = (to_minor(shop.amount, shop.currency) if shop else None,
            to_minor(pres.amount, pres.currency) if pres else None)
    if len(_PAIRS) >= _PAIRS_SIZE:
        _PAIRS.clear()
    _PAIRS[id(value)] = (value, pair)
    return pair


def money_pair(prefix: str, value: MoneySet | None) -> dict[str, int | None]:
    minor, pres = minor_pair(value)
    return {f"{prefix}_minor": minor, f"{prefix}_pres_minor": pres}


def single_minor(value: Money | None) -> int | None:
    return to_minor(value.amount, value.currency) if value else None


def address_json(value: Address | None) -> dict[str, Any] | None:
    """The address's non-empty fields (all plain strings, so no deep copy is needed)."""
    if value is None:
        return None
    return {name: item for name in ADDRESS_FIELDS if (item := getattr(value, name)) is not None}


ADDRESS_FIELDS = tuple(field.name for field in fields(Address))
ORDER_MONEY = ("subtotal", "total_price", "total_tax", "total_discounts", "total_shipping", "current_total_price",
               "current_total_tax", "total_outstanding", "total_duties")
ORDER_MONEY_KEYS = tuple((name, (f"{name}_minor", f"{name}_pres_minor")) for name in ORDER_MONEY)


def order_values(record: OrderRecord) -> dict[str, Any]:
    values: dict[str, Any] = {
        "legacy_id": record.legacy_id, "name": record.name, "number": record.number,
        "shopify_created_at": record.created_at, "processed_at": record.processed_at,
        "cancelled_at": record.cancelled_at, "cancel_reason": record.cancel_reason, "closed_at": record.closed_at,
        "currency": record.currency, "presentment_currency": record.presentment_currency,
        "taxes_included": record.taxes_included, "tax_exempt": record.tax_exempt, "test": record.test,
        "financial_status": record.financial_status, "fulfillment_status": record.fulfillment_status,
        "source_name": record.source_name, "customer_gid": record.customer_id, "email": record.email,
        "phone": record.phone, "customer_tax_id": record.customer_tax_id, "customer_locale": record.customer_locale,
        "shipping_address": address_json(record.shipping_address),
        "billing_address": address_json(record.billing_address), "note": record.note, "tags": record.tags,
        "custom_attributes": record.custom_attributes,
        "payment_gateway_names": record.payment_gateway_names,
        "validation_issues": record.validation_issues,
    }
    for name, (minor_key, pres_key) in ORDER_MONEY_KEYS:
        values[minor_key], values[pres_key] = minor_pair(getattr(record, name))
    return values


def _tax_rows(lines: tuple[TaxLineRecord, ...], base: dict[str, Any], scope: str,
              line_item_id: uuid.UUID | None = None, shipping_line_id: uuid.UUID | None = None) -> list[dict]:
    rows = []
    for index, tax in enumerate(lines):
        minor, pres = minor_pair(tax.amount)
        rows.append({**base, "id": time_ordered_uuid(), "scope": scope, "position": index, "title": tax.title,
                     "rate": tax.rate, "rate_percentage": tax.rate_percentage, "channel_liable": tax.channel_liable,
                     "source": tax.source, "line_item_id": line_item_id, "shipping_line_id": shipping_line_id,
                     "amount_minor": minor, "amount_pres_minor": pres})
    return rows


def order_children(record: OrderRecord, shop_id: uuid.UUID, order_id: uuid.UUID
                   ) -> tuple[list[dict], list[dict], list[dict]]:
    """(line item rows, shipping line rows, tax line rows) for one order version."""
    base = {"shop_id": shop_id, "order_id": order_id}
    lines, shipping, taxes = [], [], _tax_rows(record.tax_lines, base, "order")
    for index, item in enumerate(record.line_items):
        line_id = time_ordered_uuid()
        lines.append(_line_row(item, base, line_id, index))
        if item.tax_lines:
            taxes += _tax_rows(item.tax_lines, base, "line", line_item_id=line_id)
    for index, ship in enumerate(record.shipping_lines):
        ship_id = time_ordered_uuid()
        price, price_pres = minor_pair(ship.price)
        discounted, discounted_pres = minor_pair(ship.discounted_price)
        shipping.append({
            **base, "id": ship_id, "position": index, "shopify_id": ship.shopify_id, "title": ship.title,
            "code": ship.code, "source": ship.source, "is_removed": ship.is_removed, "price_minor": price,
            "price_pres_minor": price_pres, "discounted_price_minor": discounted,
            "discounted_price_pres_minor": discounted_pres,
        })
        if ship.tax_lines:
            taxes += _tax_rows(ship.tax_lines, base, "shipping", shipping_line_id=ship_id)
    return lines, shipping, taxes


def _line_row(item: LineItemRecord, base: dict[str, Any], line_id: uuid.UUID, index: int) -> dict[str, Any]:
    unit, unit_pres = minor_pair(item.unit_price)
    discounted, discounted_pres = minor_pair(item.discounted_unit_price)
    discount, discount_pres = minor_pair(item.total_discount)
    return {
        **base, "id": line_id, "position": index, "shopify_id": item.shopify_id, "sku": item.sku,
        "title": item.title, "name": item.name, "variant_title": item.variant_title,
        "variant_gid": item.variant_id, "product_gid": item.product_id, "quantity": item.quantity,
        "current_quantity": item.current_quantity, "fulfillable_quantity": item.fulfillable_quantity,
        "unit_price_minor": unit, "unit_price_pres_minor": unit_pres,
        "discounted_unit_price_minor": discounted, "discounted_unit_price_pres_minor": discounted_pres,
        "total_discount_minor": discount, "total_discount_pres_minor": discount_pres,
        "discount_allocations": tuple({"index": alloc.application_index, **money_pair("amount", alloc.amount)}
                                      for alloc in item.discount_allocations),
        "requires_shipping": item.requires_shipping, "taxable": item.taxable, "is_gift_card": item.is_gift_card,
        "fulfillment_service": item.fulfillment_service, "fulfillment_status": item.fulfillment_status,
        "hs_code": item.hs_code, "country_hs_codes": dict(item.country_hs_codes),
        "country_of_origin": item.country_of_origin, "province_of_origin": item.province_of_origin,
        "unit_cost_minor": single_minor(item.unit_cost),
        "unit_cost_currency": item.unit_cost.currency if item.unit_cost else None,
        "duties": tuple({"shopify_id": duty.shopify_id, "hs_code": duty.hs_code,
                         "country_of_origin": duty.country_of_origin, **money_pair("price", duty.price)}
                        for duty in item.duties),
        "properties": item.properties, "product_exists": item.product_exists,
    }


def _currencies(*sets: MoneySet | None) -> tuple[str | None, str | None]:
    shop = next((s.shop.currency for s in sets if s and s.shop), None)
    pres = next((s.presentment.currency for s in sets if s and s.presentment), None)
    return shop, pres


def refund_values(record: RefundRecord) -> dict[str, Any]:
    amounts = [record.total_refunded, *(line.subtotal for line in record.lines),
               *(adj.amount for adj in record.adjustments), *(tx.amount for tx in record.transactions)]
    currency, presentment = _currencies(*amounts)
    return {
        "order_gid": record.order_id, "shopify_created_at": record.created_at, "processed_at": record.processed_at,
        "note": record.note, "restock": record.restock, "return_gid": record.return_id, "currency": currency,
        "presentment_currency": presentment, **money_pair("total_refunded", record.total_refunded),
        "validation_issues": record.validation_issues,
    }


def refund_children(record: RefundRecord, shop_id: uuid.UUID, refund_id: uuid.UUID) -> tuple[list[dict], list[dict]]:
    base = {"shop_id": shop_id, "refund_id": refund_id}
    lines = [
        {**base, "id": time_ordered_uuid(), "position": index, "shopify_id": line.shopify_id,
         "line_item_gid": line.line_item_id, "quantity": line.quantity, "restock_type": line.restock_type,
         "restocked": line.restocked, "location_gid": line.location_id, **money_pair("subtotal", line.subtotal),
         **money_pair("total_tax", line.total_tax)}
        for index, line in enumerate(record.lines)
    ]
    adjustments = [
        {**base, "id": time_ordered_uuid(), "position": index, "kind": adj.kind, "shopify_id": adj.shopify_id,
         "reason": adj.reason, **money_pair("amount", adj.amount), **money_pair("tax", adj.tax_amount)}
        for index, adj in enumerate(record.adjustments)
    ]
    return lines, adjustments


def transaction_values(record: TransactionRecord) -> dict[str, Any]:
    shop = record.amount.shop if record.amount else None
    pres = record.amount.presentment if record.amount else None
    return {
        "resource": record.resource, "order_gid": record.order_id, "refund_gid": record.refund_id,
        "parent_gid": record.parent_id, "kind": record.kind, "status": record.status, "gateway": record.gateway,
        "currency": shop.currency if shop else None, "amount_minor": single_minor(shop),
        "presentment_currency": pres.currency if pres else None, "amount_pres_minor": single_minor(pres),
        "shopify_created_at": record.created_at, "processed_at": record.processed_at, "test": record.test,
        "error_code": record.error_code, "authorization": record.authorization,
        "payment_method": record.payment_method, "remote_reference": record.remote_reference,
        "validation_issues": record.validation_issues,
    }


def return_values(record: ReturnRecord) -> dict[str, Any]:
    return {
        "order_gid": record.order_id, "name": record.name, "status": record.status,
        "total_quantity": record.total_quantity, "decline_reason": record.decline_reason,
        "decline_note": record.decline_note, "shopify_created_at": record.created_at,
        "closed_at": record.closed_at, "request_approved_at": record.request_approved_at,
        "validation_issues": record.validation_issues,
    }


def return_lines(record: ReturnRecord, shop_id: uuid.UUID, return_id: uuid.UUID) -> list[dict]:
    return [
        {"shop_id": shop_id, "return_id": return_id, "id": time_ordered_uuid(), "position": index,
         "shopify_id": line.shopify_id, "line_item_gid": line.line_item_id,
         "fulfillment_line_item_gid": line.fulfillment_line_item_id, "quantity": line.quantity,
         "refundable_quantity": line.refundable_quantity, "refunded_quantity": line.refunded_quantity,
         "reason": line.reason, "reason_name": line.reason_name, "reason_note": line.reason_note,
         "customer_note": line.customer_note}
        for index, line in enumerate(record.lines)
    ]


def fulfillment_values(record: FulfillmentRecord) -> dict[str, Any]:
    return {
        "order_gid": record.order_id, "name": record.name, "status": record.status,
        "shipment_status": record.shipment_status, "display_status": record.display_status,
        "tracking_company": record.tracking_company, "tracking_numbers": record.tracking_numbers,
        "tracking_urls": record.tracking_urls, "location_gid": record.location_id, "service": record.service,
        "shopify_created_at": record.created_at, "validation_issues": record.validation_issues,
    }


def fulfillment_lines(record: FulfillmentRecord, shop_id: uuid.UUID, fulfillment_id: uuid.UUID) -> list[dict]:
    return [
        {"shop_id": shop_id, "fulfillment_id": fulfillment_id, "id": time_ordered_uuid(), "position": index,
         "shopify_id": line.shopify_id, "line_item_gid": line.line_item_id, "quantity": line.quantity}
        for index, line in enumerate(record.lines)
    ]


def fulfillment_order_values(record: FulfillmentOrderRecord) -> dict[str, Any]:
    return {
        "order_gid": record.order_id, "status": record.status, "request_status": record.request_status,
        "delivery_method": record.delivery_method, "assigned_location_gid": record.assigned_location_id,
        "lines": [{"shopify_id": line.shopify_id, "line_item_gid": line.line_item_id, "total": line.total_quantity,
                   "remaining": line.remaining_quantity} for line in record.lines],
        "validation_issues": record.validation_issues,
    }
