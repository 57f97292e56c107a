"""Webhook (REST JSON, snake_case) bodies → canonical records.

Bodies should be parsed with `parse_body` (exact ints, Decimal fractions). A body missing fields Shopify normally sends
still maps; what is missing is listed in the record's `validation_issues`. Only a body with no id at all raises
`MappingError`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from app.commerce.records import (
    Address, DiscountAllocationRecord, DutyRecord, FulfillmentLineRecord, FulfillmentRecord, LineItemRecord, MoneySet,
    OrderRecord, ShippingLineRecord, TaxLineRecord, TransactionRecord,
)
from app.shopify.mapping.common import (
    Issues, MappingError, gid, legacy_id, lower, money, money_set_from_single, parse_dt, rate_text, rest_gid,
)

TAX_ID_ATTRIBUTES = frozenset({"vat_id", "vat_number", "vatid", "vat", "tax_id", "taxid", "customer_tax_id"})
FULFILLMENT_STATUS = {None: "unfulfilled", "partial": "partially_fulfilled"}


class Ctx:
    """The currencies children inherit and the issue list they report to."""

    def __init__(self, currency: str | None, presentment: str | None, issues: Issues) -> None:
        self.currency = currency
        self.presentment = presentment
        self.issues = issues

    def money_set(self, obj: dict[str, Any], set_key: str, plain_key: str | None, where: str) -> MoneySet | None:
        value = obj.get(set_key)
        if isinstance(value, dict):
            return rest_money_set(value, self.issues, where)
        if plain_key and obj.get(plain_key) is not None:
            return money_set_from_single(obj[plain_key], self.currency, self.presentment, self.issues, where)
        return None


def rest_money_set(value: dict[str, Any] | None, issues: Issues, where: str) -> MoneySet | None:
    if not value:
        return None
    shop, pres = value.get("shop_money") or {}, value.get("presentment_money") or {}
    return MoneySet(
        money(shop.get("amount"), shop.get("currency_code") or shop.get("currency"), issues, where),
        money(pres.get("amount"), pres.get("currency_code") or pres.get("currency"), issues, where),
    )


def address(obj: dict[str, Any] | None) -> Address | None:
    if not obj:
        return None
    keys = ("name", "first_name", "last_name", "company", "address1", "address2", "city", "zip", "province",
            "province_code", "country", "country_code", "phone")
    return Address(**{key: (str(obj[key]) if obj.get(key) not in (None, "") else None) for key in keys})


def tax_lines(items: list[dict[str, Any]] | None, ctx: Ctx, where: str) -> tuple[TaxLineRecord, ...]:
    out = []
    for index, item in enumerate(items or ()):
        amount = ctx.money_set(item, "price_set", "price", f"{where}.tax_lines[{index}]")
        out.append(TaxLineRecord(
            title=str(item.get("title") or ""), rate=rate_text(item.get("rate")),
            amount=amount or MoneySet(None, None), channel_liable=item.get("channel_liable"),
            rate_percentage=rate_text(item.get("rate_percentage")), source=item.get("source"),
        ))
    return tuple(out)


def _pairs(items: list[dict[str, Any]] | None, key: str = "name") -> tuple[tuple[str, str], ...]:
    return tuple((str(item.get(key)), "" if item.get("value") is None else str(item.get("value")))
                 for item in items or () if isinstance(item, dict))


def line_item(item: dict[str, Any], ctx: Ctx, index: int) -> LineItemRecord:
    where = f"line_items[{index}]"
    shopify_id = rest_gid(item, "LineItem")
    if shopify_id is None:
        ctx.issues.add(f"{where}.id missing")
    for key in ("quantity", "requires_shipping", "price"):
        ctx.issues.require(item, key, where)
    duties = tuple(
        DutyRecord(
            shopify_id=rest_gid(duty, "Duty"), hs_code=duty.get("harmonized_system_code"),
            country_of_origin=duty.get("country_code_of_origin"),
            price=ctx.money_set(duty, "price_set", "price", f"{where}.duties"),
            tax_lines=tax_lines(duty.get("tax_lines"), ctx, f"{where}.duties"),
        ) for duty in item.get("duties") or ()
    )
    allocations = tuple(
        DiscountAllocationRecord(
            amount=ctx.money_set(alloc, "amount_set", "amount", f"{where}.discount_allocations") or MoneySet(None),
            application_index=alloc.get("discount_application_index"),
        ) for alloc in item.get("discount_allocations") or ()
    )
    return LineItemRecord(
        shopify_id=shopify_id, title=item.get("title"), quantity=int(item.get("quantity") or 0),
        unit_price=ctx.money_set(item, "price_set", "price", where), sku=item.get("sku") or None,
        name=item.get("name"), variant_title=item.get("variant_title"),
        variant_id=gid("ProductVariant", item.get("variant_id")), product_id=gid("Product", item.get("product_id")),
        current_quantity=item.get("current_quantity"), fulfillable_quantity=item.get("fulfillable_quantity"),
        total_discount=ctx.money_set(item, "total_discount_set", "total_discount", where),
        discount_allocations=allocations, requires_shipping=item.get("requires_shipping"),
        taxable=item.get("taxable"), is_gift_card=bool(item.get("gift_card")),
        fulfillment_service=item.get("fulfillment_service"), fulfillment_status=lower(item.get("fulfillment_status")),
        tax_lines=tax_lines(item.get("tax_lines"), ctx, where), duties=duties,
        properties=_pairs(item.get("properties")), product_exists=item.get("product_exists"),
    )


def shipping_line(item: dict[str, Any], ctx: Ctx, index: int) -> ShippingLineRecord:
    where = f"shipping_lines[{index}]"
    return ShippingLineRecord(
        shopify_id=rest_gid(item, "ShippingLine"), title=item.get("title"),
        price=ctx.money_set(item, "price_set", "price", where), code=item.get("code"), source=item.get("source"),
        discounted_price=ctx.money_set(item, "discounted_price_set", "discounted_price", where),
        is_removed=bool(item.get("is_removed")), tax_lines=tax_lines(item.get("tax_lines"), ctx, where),
    )


def transaction_from_webhook(body: dict[str, Any], *, fallback_currency: str | None = None,
                             refund_id: str | None = None) -> TransactionRecord:
    """An order transaction (`order_transactions/create`, or one embedded in a refund)."""
    issues = Issues()
    shopify_id = rest_gid(body, "OrderTransaction")
    if shopify_id is None:
        raise MappingError("transaction has no id")
    currency = body.get("currency") or fallback_currency
    amount_set = rest_money_set(body.get("amount_set"), issues, "transaction") if body.get("amount_set") else None
    if amount_set is None:
        amount = money(body.get("amount"), currency, issues, "transaction")
        amount_set = MoneySet(None, amount) if amount else None
    for key in ("kind", "status", "amount", "created_at"):
        issues.require(body, key, "transaction")
    return TransactionRecord(
        shopify_id=shopify_id, order_id=gid("Order", body.get("order_id")), kind=lower(body.get("kind")),
        status=lower(body.get("status")), amount=amount_set, gateway=body.get("gateway"),
        parent_id=gid("OrderTransaction", body.get("parent_id")), refund_id=refund_id,
        created_at=parse_dt(body.get("created_at")), processed_at=parse_dt(body.get("processed_at")),
        test=bool(body.get("test")), error_code=body.get("error_code"), authorization=body.get("authorization"),
        validation_issues=issues.tuple(), rest_shaped=True,
    )


def tender_transaction_from_webhook(body: dict[str, Any]) -> TransactionRecord:
    issues = Issues()
    shopify_id = rest_gid(body, "TenderTransaction")
    if shopify_id is None:
        raise MappingError("tender transaction has no id")
    for key in ("amount", "currency", "processed_at"):
        issues.require(body, key, "tender_transaction")
    amount = money(body.get("amount"), body.get("currency"), issues, "tender_transaction")
    return TransactionRecord(
        shopify_id=shopify_id, order_id=gid("Order", body.get("order_id")), kind=None, status=None,
        amount=MoneySet(amount, amount) if amount else None, processed_at=parse_dt(body.get("processed_at")),
        test=bool(body.get("test")), payment_method=body.get("payment_method"),
        remote_reference=body.get("remote_reference"), resource="tender_transaction",
        validation_issues=issues.tuple(),
    )


def fulfillment_from_webhook(body: dict[str, Any]) -> FulfillmentRecord:
    issues = Issues()
    shopify_id = rest_gid(body, "Fulfillment")
    if shopify_id is None:
        raise MappingError("fulfillment has no id")
    for key in ("order_id", "status", "created_at", "line_items"):
        issues.require(body, key, "fulfillment")
    numbers = body.get("tracking_numbers") or ([body["tracking_number"]] if body.get("tracking_number") else [])
    urls = body.get("tracking_urls") or ([body["tracking_url"]] if body.get("tracking_url") else [])
    service = body.get("service")
    lines = tuple(
        FulfillmentLineRecord(shopify_id=None, line_item_id=rest_gid(item, "LineItem"),
                              quantity=int(item.get("quantity") or 0))
        for item in body.get("line_items") or ()
    )
    return FulfillmentRecord(
        shopify_id=shopify_id, order_id=gid("Order", body.get("order_id")), status=lower(body.get("status")),
        name=body.get("name"), shipment_status=lower(body.get("shipment_status")),
        tracking_company=body.get("tracking_company"), tracking_numbers=tuple(str(n) for n in numbers),
        tracking_urls=tuple(str(u) for u in urls), location_id=gid("Location", body.get("location_id")),
        service=service.get("service_name") if isinstance(service, dict) else service,
        created_at=parse_dt(body.get("created_at")), updated_at=parse_dt(body.get("updated_at")),
        lines=lines, validation_issues=issues.tuple(), rest_shaped=True,
    )


def _customer_tax_id(body: dict[str, Any], attributes: tuple[tuple[str, str], ...]) -> str | None:
    customer = body.get("customer") or {}
    settings = customer.get("tax_settings") or {}
    if settings.get("tax_id"):
        return str(settings["tax_id"])
    for key, value in attributes:
        if key.strip().lower().replace(" ", "_") in TAX_ID_ATTRIBUTES and value.strip():
            return value.strip()
    return None


def order_from_webhook(body: dict[str, Any]) -> OrderRecord:
    """An `orders/*` webhook body (or a REST order) → OrderRecord, with embedded refunds and fulfillments."""
    from app.shopify.mapping.rest_refunds import refund_from_webhook  # refunds embed transactions and line refs

    issues = Issues()
    shopify_id = rest_gid(body, "Order")
    if shopify_id is None:
        raise MappingError("order has no id")
    for key in ("created_at", "updated_at", "currency", "taxes_included", "total_price", "line_items",
                "financial_status"):
        issues.require(body, key, "order")
    currency = body.get("currency")
    presentment = body.get("presentment_currency") or currency
    ctx = Ctx(currency, presentment, issues)
    attributes = _pairs(body.get("note_attributes"))
    customer = body.get("customer") or None
    tags = tuple(tag.strip() for tag in str(body.get("tags") or "").split(",") if tag.strip())
    return OrderRecord(
        shopify_id=shopify_id, legacy_id=legacy_id(shopify_id), name=body.get("name"),
        number=body.get("order_number"), created_at=parse_dt(body.get("created_at")),
        updated_at=parse_dt(body.get("updated_at")), processed_at=parse_dt(body.get("processed_at")),
        cancelled_at=parse_dt(body.get("cancelled_at")), cancel_reason=lower(body.get("cancel_reason")),
        closed_at=parse_dt(body.get("closed_at")), currency=currency, presentment_currency=presentment,
        taxes_included=body.get("taxes_included"), tax_exempt=body.get("tax_exempt"), test=bool(body.get("test")),
        financial_status=lower(body.get("financial_status")),
        fulfillment_status=FULFILLMENT_STATUS.get(body.get("fulfillment_status"), lower(body.get("fulfillment_status"))),
        source_name=body.get("source_name"), customer_id=rest_gid(customer, "Customer"),
        email=body.get("email") or body.get("contact_email"), phone=body.get("phone"),
        customer_tax_id=_customer_tax_id(body, attributes), customer_locale=body.get("customer_locale"),
        shipping_address=address(body.get("shipping_address")), billing_address=address(body.get("billing_address")),
        note=body.get("note"), tags=tags, custom_attributes=attributes,
        payment_gateway_names=tuple(body.get("payment_gateway_names") or ()),
        subtotal=ctx.money_set(body, "subtotal_price_set", "subtotal_price", "order"),
        total_price=ctx.money_set(body, "total_price_set", "total_price", "order"),
        total_tax=ctx.money_set(body, "total_tax_set", "total_tax", "order"),
        total_discounts=ctx.money_set(body, "total_discounts_set", "total_discounts", "order"),
        total_shipping=ctx.money_set(body, "total_shipping_price_set", None, "order"),
        current_total_price=ctx.money_set(body, "current_total_price_set", "current_total_price", "order"),
        current_total_tax=ctx.money_set(body, "current_total_tax_set", "current_total_tax", "order"),
        total_outstanding=ctx.money_set(body, "total_outstanding_set", "total_outstanding", "order"),
        total_duties=ctx.money_set(body, "original_total_duties_set", None, "order"),
        tax_lines=tax_lines(body.get("tax_lines"), ctx, "order"),
        line_items=tuple(line_item(item, ctx, i) for i, item in enumerate(body.get("line_items") or ())),
        shipping_lines=tuple(shipping_line(item, ctx, i) for i, item in enumerate(body.get("shipping_lines") or ())),
        refunds=tuple(refund_from_webhook(item, order_id=shopify_id) for item in body.get("refunds") or ()),
        fulfillments=tuple(replace(fulfillment_from_webhook(item), order_id=shopify_id)
                           for item in body.get("fulfillments") or ()),
        validation_issues=issues.tuple(), rest_shaped=True,
    )
