"""Admin GraphQL (2026-10, camelCase, `gid://`) nodes → canonical records.

Accepts exactly what the documents in `app/shopify/queries/` select (orders_updated_since, order_line_items,
bulk_orders): connections as `{nodes: [...]}`, `{edges: [{node}]}` or plain lists (bulk JSONL children are assembled
into `{nodes: [...]}` by `app.shopify.mapping.bulk`). `*Set` money bags map to `MoneySet`; enums are lower-cased.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Any

from app.commerce.records import (
    Address, DiscountAllocationRecord, FulfillmentLineRecord, FulfillmentOrderLineRecord, FulfillmentOrderRecord,
    FulfillmentRecord, LineItemRecord, Money, MoneySet, OrderRecord, RefundAdjustmentRecord, RefundLineRecord,
    RefundRecord, ReturnLineRecord, ReturnRecord, ShippingLineRecord, TaxLineRecord, TransactionRecord,
)
from app.shopify.mapping.common import (
    Issues, MappingError, exact_money, legacy_id, lower, money, parse_dt, rate_text,
)
from app.shopify.mapping.rest import TAX_ID_ATTRIBUTES

ADDRESS_KEYS = {"name": "name", "firstName": "first_name", "lastName": "last_name", "company": "company",
                "address1": "address1", "address2": "address2", "city": "city", "zip": "zip",
                "province": "province", "provinceCode": "province_code", "country": "country",
                "countryCodeV2": "country_code", "countryCode": "country_code", "phone": "phone"}


def nodes(value: Any) -> list[dict[str, Any]]:
    """The items of a connection (`nodes` or `edges[].node`) or of a plain list."""
    if not value:
        return []
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    if "nodes" in value:
        return list(value["nodes"] or [])
    return [edge["node"] for edge in value.get("edges") or [] if edge.get("node")]


def ref(value: Any) -> str | None:
    """The id of a `{id}` reference (None for a null or deleted object)."""
    return value.get("id") if isinstance(value, dict) else None


def money_set(value: dict[str, Any] | None, issues: Issues, where: str) -> MoneySet | None:
    if not value:
        return None
    shop, pres = value.get("shopMoney") or {}, value.get("presentmentMoney") or {}
    amount, currency = shop.get("amount"), shop.get("currencyCode")
    pres_amount, pres_currency = pres.get("amount"), pres.get("currencyCode")
    if type(amount) is str and type(currency) is str and type(pres_amount) is str and type(pres_currency) is str:
        exact = _exact_set(amount, currency, pres_amount, pres_currency)
        if exact is not None:
            return exact
    return MoneySet(money(amount, currency, issues, where), money(pres_amount, pres_currency, issues, where))


@lru_cache(maxsize=4096)
def _exact_set(amount: str, currency: str, pres_amount: str, pres_currency: str) -> MoneySet | None:
    """The MoneySet of two string amounts when neither needs flagging (memoised: order totals repeat)."""
    shop, pres = exact_money(amount, currency), exact_money(pres_amount, pres_currency)
    return MoneySet(shop, pres) if shop is not None and pres is not None else None


def single_money(value: dict[str, Any] | None, issues: Issues, where: str) -> Money | None:
    return money(value.get("amount"), value.get("currencyCode"), issues, where) if value else None


def address(value: dict[str, Any] | None) -> Address | None:
    if not value:
        return None
    fields = {ADDRESS_KEYS[key]: str(item) for key, item in value.items() if key in ADDRESS_KEYS and item}
    return Address(**fields)


def tax_lines(items: Any, issues: Issues, where: str) -> tuple[TaxLineRecord, ...]:
    return tuple(
        TaxLineRecord(title=str(item.get("title") or ""), rate=rate_text(item.get("rate")),
                      amount=money_set(item.get("priceSet"), issues, where) or MoneySet(None),
                      channel_liable=item.get("channelLiable"), rate_percentage=rate_text(item.get("ratePercentage")),
                      source=item.get("source"))
        for item in items or ()
    )


def _attributes(items: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(item.get("key")), str(item.get("value") or "")) for item in items or ())


def _allocations(items: Any, issues: Issues, where: str) -> tuple[DiscountAllocationRecord, ...]:
    return tuple(
        DiscountAllocationRecord(amount=money_set(item.get("allocatedAmountSet"), issues, where) or MoneySet(None),
                                 application_index=(item.get("discountApplication") or {}).get("index"))
        for item in items or ()
    )


def line_item_from_graphql(node: dict[str, Any], issues: Issues) -> LineItemRecord:
    where = f"lineItem {node.get('id')}"
    for key in ("id", "quantity", "requiresShipping", "originalUnitPriceSet"):
        issues.require(node, key, where)
    variant = node.get("variant") or {}
    inventory = variant.get("inventoryItem") or {}
    country_codes = tuple(
        (str(item["countryCode"]), str(item["harmonizedSystemCode"]))
        for item in nodes(inventory.get("countryHarmonizedSystemCodes"))
        if item.get("countryCode") and item.get("harmonizedSystemCode")
    )
    return LineItemRecord(
        shopify_id=node.get("id"), title=node.get("title") or node.get("name"), quantity=int(node.get("quantity") or 0),
        unit_price=money_set(node.get("originalUnitPriceSet"), issues, where), sku=node.get("sku") or variant.get("sku"),
        name=node.get("name"), variant_title=node.get("variantTitle"), variant_id=ref(variant),
        product_id=ref(node.get("product")), current_quantity=node.get("currentQuantity"),
        fulfillable_quantity=node.get("unfulfilledQuantity", node.get("fulfillableQuantity")),
        discounted_unit_price=money_set(node.get("discountedUnitPriceSet"), issues, where),
        total_discount=money_set(node.get("totalDiscountSet"), issues, where),
        requires_shipping=node.get("requiresShipping"), taxable=node.get("taxable"),
        is_gift_card=bool(node.get("isGiftCard")), tax_lines=tax_lines(node.get("taxLines"), issues, where),
        discount_allocations=_allocations(node.get("discountAllocations"), issues, where),
        hs_code=inventory.get("harmonizedSystemCode"), country_hs_codes=country_codes,
        country_of_origin=inventory.get("countryCodeOfOrigin"), province_of_origin=inventory.get("provinceCodeOfOrigin"),
        unit_cost=single_money(inventory.get("unitCost"), issues, where),
        properties=_attributes(node.get("customAttributes")),
        product_exists=None if "product" not in node else node.get("product") is not None,
    )


def shipping_line_from_graphql(node: dict[str, Any], issues: Issues) -> ShippingLineRecord:
    where = f"shippingLine {node.get('id')}"
    return ShippingLineRecord(
        shopify_id=node.get("id"), title=node.get("title"),
        price=money_set(node.get("originalPriceSet"), issues, where), code=node.get("code"), source=node.get("source"),
        discounted_price=money_set(node.get("discountedPriceSet"), issues, where),
        is_removed=bool(node.get("isRemoved")), tax_lines=tax_lines(node.get("taxLines"), issues, where),
    )


def transaction_from_graphql(node: dict[str, Any], *, order_id: str | None = None,
                             refund_id: str | None = None) -> TransactionRecord:
    issues = Issues()
    if not node.get("id"):
        raise MappingError("transaction has no id")
    return TransactionRecord(
        shopify_id=node["id"], order_id=order_id or ref(node.get("order")), kind=lower(node.get("kind")),
        status=lower(node.get("status")), amount=money_set(node.get("amountSet"), issues, "transaction"),
        gateway=node.get("gateway"), parent_id=ref(node.get("parentTransaction")), refund_id=refund_id,
        created_at=parse_dt(node.get("createdAt")), processed_at=parse_dt(node.get("processedAt")),
        test=bool(node.get("test")), error_code=lower(node.get("errorCode")),
        authorization=node.get("authorizationCode"), validation_issues=issues.tuple(),
    )


def refund_from_graphql(node: dict[str, Any], *, order_id: str | None = None) -> RefundRecord:
    issues = Issues()
    if not node.get("id"):
        raise MappingError("refund has no id")
    own_order = order_id or ref(node.get("order"))
    lines = tuple(
        RefundLineRecord(shopify_id=item.get("id"), line_item_id=ref(item.get("lineItem")),
                         quantity=int(item.get("quantity") or 0), restock_type=lower(item.get("restockType")),
                         subtotal=money_set(item.get("subtotalSet"), issues, "refundLineItem"),
                         total_tax=money_set(item.get("totalTaxSet"), issues, "refundLineItem"),
                         location_id=ref(item.get("location")), restocked=item.get("restocked"))
        for item in nodes(node.get("refundLineItems"))
    )
    adjustments = [
        RefundAdjustmentRecord(kind="shipping", shopify_id=item.get("id"),
                               amount=money_set(item.get("subtotalAmountSet"), issues, "refundShippingLine"),
                               tax_amount=money_set(item.get("taxAmountSet"), issues, "refundShippingLine"),
                               reason=(item.get("shippingLine") or {}).get("title"))
        for item in nodes(node.get("refundShippingLines"))
    ]
    adjustments += [
        RefundAdjustmentRecord(kind="order_adjustment", shopify_id=item.get("id"),
                               amount=money_set(item.get("amountSet"), issues, "orderAdjustment"),
                               tax_amount=money_set(item.get("taxAmountSet"), issues, "orderAdjustment"),
                               reason=lower(item.get("reason")))
        for item in nodes(node.get("orderAdjustments"))
    ]
    adjustments += [
        RefundAdjustmentRecord(kind="duty", shopify_id=ref(item.get("originalDuty")),
                               amount=money_set(item.get("amountSet"), issues, "refundDuty"))
        for item in nodes(node.get("duties"))
    ]
    transactions = tuple(transaction_from_graphql(item, order_id=own_order, refund_id=node["id"])
                         for item in nodes(node.get("transactions")))
    return RefundRecord(
        shopify_id=node["id"], order_id=own_order, created_at=parse_dt(node.get("createdAt")),
        processed_at=parse_dt(node.get("processedAt")), updated_at=parse_dt(node.get("updatedAt")),
        note=node.get("note"), return_id=ref(node.get("return")),
        total_refunded=money_set(node.get("totalRefundedSet"), issues, "refund"), lines=lines,
        adjustments=tuple(adjustments), transactions=transactions, validation_issues=issues.tuple(),
        partial="orderAdjustments" not in node,
    )


def fulfillment_from_graphql(node: dict[str, Any], *, order_id: str | None = None) -> FulfillmentRecord:
    if not node.get("id"):
        raise MappingError("fulfillment has no id")
    tracking = node.get("trackingInfo") or []
    return FulfillmentRecord(
        shopify_id=node["id"], order_id=order_id or ref(node.get("order")), status=lower(node.get("status")),
        name=node.get("name"), display_status=lower(node.get("displayStatus")),
        tracking_company=next((t.get("company") for t in tracking if t.get("company")), None),
        tracking_numbers=tuple(str(t["number"]) for t in tracking if t.get("number")),
        tracking_urls=tuple(str(t["url"]) for t in tracking if t.get("url")), location_id=ref(node.get("location")),
        service=(node.get("service") or {}).get("handle"), created_at=parse_dt(node.get("createdAt")),
        updated_at=parse_dt(node.get("updatedAt")),
        lines=tuple(FulfillmentLineRecord(shopify_id=item.get("id"), line_item_id=ref(item.get("lineItem")),
                                          quantity=int(item.get("quantity") or 0))
                    for item in nodes(node.get("fulfillmentLineItems"))),
        partial="fulfillmentLineItems" not in node,
    )


def return_from_graphql(node: dict[str, Any], *, order_id: str | None = None) -> ReturnRecord:
    if not node.get("id"):
        raise MappingError("return has no id")
    lines = []
    for item in nodes(node.get("returnLineItems")):
        fli = item.get("fulfillmentLineItem") or {}
        definition = item.get("returnReasonDefinition") or {}
        lines.append(ReturnLineRecord(
            shopify_id=item.get("id"), line_item_id=ref(fli.get("lineItem")), fulfillment_line_item_id=ref(fli),
            quantity=int(item.get("quantity") or 0), refundable_quantity=item.get("refundableQuantity"),
            refunded_quantity=item.get("refundedQuantity"), reason=lower(definition.get("handle")),
            reason_name=definition.get("name"), reason_note=item.get("returnReasonNote"),
            customer_note=item.get("customerNote"),
        ))
    decline = node.get("decline") or {}
    return ReturnRecord(
        shopify_id=node["id"], order_id=order_id or ref(node.get("order")), status=lower(node.get("status")),
        name=node.get("name"), total_quantity=node.get("totalQuantity"), decline_reason=lower(decline.get("reason")),
        decline_note=decline.get("note"), created_at=parse_dt(node.get("createdAt")),
        closed_at=parse_dt(node.get("closedAt")), request_approved_at=parse_dt(node.get("requestApprovedAt")),
        lines=tuple(lines), partial="returnLineItems" not in node,
    )


def fulfillment_order_from_graphql(node: dict[str, Any], *, order_id: str | None = None) -> FulfillmentOrderRecord:
    if not node.get("id"):
        raise MappingError("fulfillment order has no id")
    location = (node.get("assignedLocation") or {}).get("location")
    return FulfillmentOrderRecord(
        shopify_id=node["id"], order_id=order_id or ref(node.get("order")) or node.get("orderId"),
        status=lower(node.get("status")), request_status=lower(node.get("requestStatus")),
        delivery_method=lower((node.get("deliveryMethod") or {}).get("methodType")), assigned_location_id=ref(location),
        created_at=parse_dt(node.get("createdAt")), updated_at=parse_dt(node.get("updatedAt")),
        lines=tuple(FulfillmentOrderLineRecord(shopify_id=item.get("id"), line_item_id=ref(item.get("lineItem")),
                                               total_quantity=int(item.get("totalQuantity") or 0),
                                               remaining_quantity=item.get("remainingQuantity"))
                    for item in nodes(node.get("lineItems"))),
    )


def _tax_id(node: dict[str, Any], attributes: tuple[tuple[str, str], ...]) -> str | None:
    settings = (node.get("customer") or {}).get("taxSettings") or {}
    if settings.get("taxId"):
        return str(settings["taxId"])
    for key, value in attributes:
        if key.strip().lower().replace(" ", "_") in TAX_ID_ATTRIBUTES and value.strip():
            return value.strip()
    return None


def order_from_graphql(node: dict[str, Any]) -> OrderRecord:
    """An Admin GraphQL `Order` node (with its children) → OrderRecord."""
    issues = Issues()
    oid = node.get("id")
    if not oid:
        raise MappingError("order has no id")
    for key in ("createdAt", "updatedAt", "currencyCode", "taxesIncluded", "totalPriceSet", "displayFinancialStatus"):
        issues.require(node, key, "order")
    attributes = _attributes(node.get("customAttributes"))
    tags = node.get("tags") or []
    refund_nodes = nodes(node.get("refunds"))
    refunds, transactions = _linked_transactions(
        tuple(refund_from_graphql(item, order_id=oid) for item in refund_nodes),
        tuple(transaction_from_graphql(item, order_id=oid) for item in nodes(node.get("transactions"))),
        links_sent=all("transactions" in item for item in refund_nodes))
    return OrderRecord(
        shopify_id=oid, legacy_id=str(node.get("legacyResourceId") or legacy_id(oid)), name=node.get("name"),
        number=node.get("number"), created_at=parse_dt(node.get("createdAt")),
        updated_at=parse_dt(node.get("updatedAt")), processed_at=parse_dt(node.get("processedAt")),
        cancelled_at=parse_dt(node.get("cancelledAt")), cancel_reason=lower(node.get("cancelReason")),
        closed_at=parse_dt(node.get("closedAt")), currency=node.get("currencyCode"),
        presentment_currency=node.get("presentmentCurrencyCode") or node.get("currencyCode"),
        taxes_included=node.get("taxesIncluded"), tax_exempt=node.get("taxExempt"), test=bool(node.get("test")),
        financial_status=lower(node.get("displayFinancialStatus")),
        fulfillment_status=lower(node.get("displayFulfillmentStatus")), source_name=node.get("sourceName"),
        customer_id=ref(node.get("customer")), email=node.get("email"), phone=node.get("phone"),
        customer_tax_id=_tax_id(node, attributes), customer_locale=node.get("customerLocale"),
        shipping_address=address(node.get("shippingAddress")), billing_address=address(node.get("billingAddress")),
        note=node.get("note"), tags=tuple(tags if isinstance(tags, list) else str(tags).split(", ")),
        custom_attributes=attributes, payment_gateway_names=tuple(node.get("paymentGatewayNames") or ()),
        subtotal=money_set(node.get("subtotalPriceSet"), issues, "order"),
        total_price=money_set(node.get("totalPriceSet"), issues, "order"),
        total_tax=money_set(node.get("totalTaxSet"), issues, "order"),
        total_discounts=money_set(node.get("totalDiscountsSet"), issues, "order"),
        total_shipping=money_set(node.get("totalShippingPriceSet"), issues, "order"),
        current_total_price=money_set(node.get("currentTotalPriceSet"), issues, "order"),
        current_total_tax=money_set(node.get("currentTotalTaxSet"), issues, "order"),
        total_outstanding=money_set(node.get("totalOutstandingSet"), issues, "order"),
        total_duties=money_set(node.get("originalTotalDutiesSet"), issues, "order"),
        tax_lines=tax_lines(node.get("taxLines"), issues, "order"),
        line_items=tuple(line_item_from_graphql(item, issues) for item in nodes(node.get("lineItems"))),
        shipping_lines=tuple(shipping_line_from_graphql(item, issues) for item in nodes(node.get("shippingLines"))),
        refunds=refunds,
        fulfillments=tuple(fulfillment_from_graphql(item, order_id=oid) for item in nodes(node.get("fulfillments"))),
        fulfillment_orders=tuple(fulfillment_order_from_graphql(item, order_id=oid)
                                 for item in nodes(node.get("fulfillmentOrders"))),
        transactions=transactions,
        returns=tuple(return_from_graphql(item, order_id=oid) for item in nodes(node.get("returns"))),
        validation_issues=issues.tuple(),
    )



def _linked_transactions(refunds: tuple[RefundRecord, ...], transactions: tuple[TransactionRecord, ...],
                         links_sent: bool) -> tuple[tuple[RefundRecord, ...], tuple[TransactionRecord, ...]]:
    """The order's transactions carry their facts; a refund's transactions are read as ids only (the documents
    select `transactions { id }` under refunds). So each order transaction a refund names gets that refund's id,
    and the refund lists the full transaction: both deliveries of it are then one record. A refund transaction
    the order list does not hold keeps what was read of it, unless that is only its id (nothing to store).
    Where the refunds came without their transactions (the bulk file), the order's refund transactions are
    partial: a read that knows their refund wins over them."""
    if not links_sent:
        return refunds, tuple(replace(tx, partial=True) if tx.kind == "refund" else tx for tx in transactions)
    refund_of = {tx.shopify_id: refund.shopify_id for refund in refunds for tx in refund.transactions}
    if not refund_of:
        return refunds, transactions
    linked = tuple(replace(tx, refund_id=refund_of[tx.shopify_id]) if tx.shopify_id in refund_of else tx
                   for tx in transactions)
    by_id = {tx.shopify_id: tx for tx in linked}
    refunds = tuple(replace(refund, transactions=tuple(
        by_id.get(tx.shopify_id, tx) for tx in refund.transactions
        if tx.shopify_id in by_id or tx.kind is not None or tx.amount is not None)) for refund in refunds)
    return refunds, linked
