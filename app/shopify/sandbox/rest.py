"""Webhook bodies: the store's GraphQL-shaped dicts rendered as Shopify's REST JSON (snake_case, numeric ids).

Shapes follow the shared fixtures (orders/create, refunds/create, fulfillments/create, SYNTHETIC EU order): money
as two-decimal strings plus `*_set` bags, ids as integers with `admin_graphql_api_id`, statuses lower-case.
"""

from __future__ import annotations

from app.shopify.sandbox.money import rest_amount
from app.shopify.sandbox.profile import parse_gid


def _id(value: str | None) -> int | None:
    parsed = parse_gid(value) if value else None
    return parsed[1] if parsed else None


def _set(bag: dict | None) -> dict | None:
    if bag is None:
        return None
    return {"shop_money": {"amount": rest_amount(bag["shopMoney"]["amount"]),
                           "currency_code": bag["shopMoney"]["currencyCode"]},
            "presentment_money": {"amount": rest_amount(bag["presentmentMoney"]["amount"]),
                                  "currency_code": bag["presentmentMoney"]["currencyCode"]}}


def _money(bag: dict) -> str:
    return rest_amount(bag["shopMoney"]["amount"])


def _tax_lines(lines: list[dict]) -> list[dict]:
    return [{"title": t["title"], "rate": t["rate"], "price": _money(t["priceSet"]), "price_set": _set(t["priceSet"]),
             "channel_liable": t["channelLiable"]} for t in lines]


def _address(address: dict | None) -> dict | None:
    if address is None:
        return None
    return {"first_name": address["firstName"], "last_name": address["lastName"], "name": address["name"],
            "company": address["company"], "address1": address["address1"], "address2": address["address2"],
            "city": address["city"], "zip": address["zip"], "province": address["province"],
            "province_code": address["provinceCode"], "country": address["country"],
            "country_code": address["countryCodeV2"], "phone": address["phone"], "latitude": None, "longitude": None}


def line_item(line: dict) -> dict:
    variant = line["variant"]
    return {
        "id": _id(line["id"]), "admin_graphql_api_id": line["id"], "title": line["title"], "name": line["name"],
        "sku": line["sku"], "vendor": line["vendor"], "variant_title": None, "quantity": line["quantity"],
        "current_quantity": line.get("currentQuantity", line["quantity"]),
        "fulfillable_quantity": line.get("fulfillableQuantity", line["quantity"]),
        "fulfillment_service": "manual", "fulfillment_status": line.get("fulfillmentStatus"),
        "requires_shipping": line["requiresShipping"], "gift_card": line["isGiftCard"], "taxable": line["taxable"],
        "grams": line["_grams"], "price": _money(line["originalUnitPriceSet"]),
        "price_set": _set(line["originalUnitPriceSet"]), "total_discount": _money(line["totalDiscountSet"]),
        "total_discount_set": _set(line["totalDiscountSet"]),
        "discount_allocations": [{"amount": _money(a["allocatedAmountSet"]), "amount_set": _set(a["allocatedAmountSet"]),
                                  "discount_application_index": 0} for a in line["discountAllocations"]],
        "duties": [], "product_id": _id(line["product"]["id"]) if line["product"] else None,
        "variant_id": _id(variant["id"]) if variant else None, "product_exists": variant is not None,
        "properties": [], "tax_lines": _tax_lines(line["taxLines"])}


def _shipping_line(line: dict) -> dict:
    return {"id": _id(line["id"]), "title": line["title"], "code": line["code"], "source": line["source"],
            "price": _money(line["originalPriceSet"]), "price_set": _set(line["originalPriceSet"]),
            "discounted_price": _money(line["discountedPriceSet"]),
            "discounted_price_set": _set(line["discountedPriceSet"]), "discount_allocations": [],
            "tax_lines": _tax_lines(line["taxLines"])}


def transaction(txn: dict, order: dict) -> dict:
    return {"id": _id(txn["id"]), "admin_graphql_api_id": txn["id"], "order_id": _id(order["id"]),
            "kind": txn["kind"].lower(), "status": txn["status"].lower(), "gateway": txn["gateway"],
            "amount": rest_amount(txn["amountSet"]["presentmentMoney"]["amount"]),
            "currency": txn["amountSet"]["presentmentMoney"]["currencyCode"], "created_at": txn["createdAt"],
            "processed_at": txn["processedAt"], "test": txn["test"],
            "parent_id": _id(txn["parentTransaction"]["id"]) if txn["parentTransaction"] else None}


def fulfillment(item: dict, order: dict | None = None) -> dict:
    order = order or item["_order"]
    tracking = item["trackingInfo"]
    return {"id": _id(item["id"]), "admin_graphql_api_id": item["id"], "order_id": _id(order["id"]),
            "name": item["name"], "status": item["status"].lower(), "created_at": item["createdAt"],
            "updated_at": item["updatedAt"], "service": (item.get("service") or {}).get("handle"),
            "shipment_status": None,
            "location_id": _id(item["location"]["id"]), "origin_address": None, "email": order["email"],
            "destination": _address(order["shippingAddress"]),
            "tracking_company": tracking[0]["company"] if tracking else None,
            "tracking_number": tracking[0]["number"] if tracking else None,
            "tracking_numbers": [t["number"] for t in tracking if t["number"]],
            "tracking_url": tracking[0]["url"] if tracking else None,
            "tracking_urls": [t["url"] for t in tracking if t["url"]],
            "line_items": [dict(line_item(fli["lineItem"]), quantity=fli["quantity"])
                           for fli in item["fulfillmentLineItems"]]}


def refund(item: dict, order: dict | None = None) -> dict:
    order = order or item["_order"]
    return {"id": _id(item["id"]), "admin_graphql_api_id": item["id"], "order_id": _id(order["id"]),
            "created_at": item["createdAt"], "processed_at": item["processedAt"], "note": item["note"],
            "restock": any(rl["restocked"] for rl in item["refundLineItems"]), "user_id": None, "duties": [],
            "total_duties_set": None, "return": {"id": _id(item["return"]["id"]),
                                                 "admin_graphql_api_id": item["return"]["id"]} if item["return"] else None,
            "refund_line_items": [{
                "id": _id(rl["id"]), "quantity": rl["quantity"], "line_item_id": _id(rl["lineItem"]["id"]),
                "location_id": _id(rl["location"]["id"]) if rl["location"] else None,
                "restock_type": rl["restockType"].lower(), "subtotal": _money(rl["subtotalSet"]),
                "total_tax": _money(rl["totalTaxSet"]), "subtotal_set": _set(rl["subtotalSet"]),
                "total_tax_set": _set(rl["totalTaxSet"]), "line_item": line_item(rl["lineItem"])}
                for rl in item["refundLineItems"]],
            "refund_shipping_lines": [{"id": _id(s["id"]), "shipping_line_id": _id(s["shippingLine"]["id"]),
                                       "shipping_line": _shipping_line(s["shippingLine"]),
                                       "subtotal_amount_set": _set(s["subtotalAmountSet"]),
                                       "tax_amount_set": _set(s["taxAmountSet"])} for s in item["refundShippingLines"]],
            "order_adjustments": [], "transactions": [transaction(t, order) for t in item["transactions"]]}


def order(item: dict) -> dict:
    return {
        "id": _id(item["id"]), "admin_graphql_api_id": item["id"], "name": item["name"],
        "order_number": int(item["name"].lstrip("#")), "number": int(item["name"].lstrip("#")) - 1000,
        "created_at": item["createdAt"], "updated_at": item["updatedAt"], "processed_at": item["processedAt"],
        "cancelled_at": item["cancelledAt"], "cancel_reason": item["cancelReason"] and item["cancelReason"].lower(),
        "closed_at": item["closedAt"], "currency": item["currencyCode"],
        "presentment_currency": item["presentmentCurrencyCode"], "taxes_included": item["taxesIncluded"],
        "tax_exempt": item["taxExempt"], "estimated_taxes": False, "duties_included": False, "test": item["test"],
        "confirmed": True, "source_name": item["sourceName"], "email": item["email"], "contact_email": item["email"],
        "phone": item["phone"], "customer_locale": item["customerLocale"], "note": item["note"],
        "tags": ", ".join(item["tags"]),
        "note_attributes": [{"name": a["key"], "value": a["value"]} for a in item["customAttributes"]],
        "financial_status": item["displayFinancialStatus"].lower(),
        "fulfillment_status": {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial"}.get(
            item["displayFulfillmentStatus"]),
        "payment_gateway_names": item["paymentGatewayNames"],
        "discount_codes": [{"code": c, "type": "percentage", "amount": _money(item["totalDiscountsSet"])}
                           for c in item["discountCodes"]],
        "subtotal_price": _money(item["subtotalPriceSet"]), "subtotal_price_set": _set(item["subtotalPriceSet"]),
        "total_line_items_price": _money(item["subtotalPriceSet"]),
        "total_line_items_price_set": _set(item["subtotalPriceSet"]),
        "total_shipping_price_set": _set(item["totalShippingPriceSet"]),
        "total_discounts": _money(item["totalDiscountsSet"]), "total_discounts_set": _set(item["totalDiscountsSet"]),
        "total_tax": _money(item["totalTaxSet"]), "total_tax_set": _set(item["totalTaxSet"]),
        "total_price": _money(item["totalPriceSet"]), "total_price_set": _set(item["totalPriceSet"]),
        "current_total_price": _money(item["currentTotalPriceSet"]),
        "current_total_price_set": _set(item["currentTotalPriceSet"]),
        "current_subtotal_price": _money(item["currentSubtotalPriceSet"]),
        "current_subtotal_price_set": _set(item["currentSubtotalPriceSet"]),
        "current_total_tax": _money(item["currentTotalTaxSet"]), "current_total_tax_set": _set(item["currentTotalTaxSet"]),
        "total_outstanding": _money(item["totalOutstandingSet"]), "current_total_duties_set": None,
        "original_total_duties_set": None, "tax_lines": _tax_lines(item["taxLines"]),
        "billing_address": _address(item["billingAddress"]), "shipping_address": _address(item["shippingAddress"]),
        "customer": {"id": _id(item["customer"]["id"]), "admin_graphql_api_id": item["customer"]["id"],
                     "email": item["customer"]["email"], "first_name": item["customer"]["firstName"],
                     "last_name": item["customer"]["lastName"], "tax_exempt": False, "currency": item["currencyCode"]},
        "line_items": [line_item(line) for line in item["lineItems"]],
        "shipping_lines": [_shipping_line(s) for s in item["shippingLines"]],
        "fulfillments": [fulfillment(f, item) for f in item["fulfillments"]],
        "refunds": [refund(r, item) for r in item["refunds"]],
    }


def inventory_level(payload: dict) -> dict:
    return {"inventory_item_id": _id(payload["inventory_item_id"]), "location_id": _id(payload["location_id"]),
            "available": payload["available"], "updated_at": payload["at"].strftime("%Y-%m-%dT%H:%M:%SZ"),
            "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{_id(payload['location_id'])}"
                                    f"?inventory_item_id={_id(payload['inventory_item_id'])}"}


def bulk_finish(node: dict) -> dict:
    return {"admin_graphql_api_id": node["id"], "completed_at": node["completedAt"], "created_at": node["createdAt"],
            "error_code": node["errorCode"] and node["errorCode"].lower(), "status": node["status"].lower(),
            "type": node["type"].lower()}


def body_for(topic: str, source: dict) -> dict:
    resource = topic.split("/")[0]
    if resource == "orders":
        return order(source) if topic != "orders/delete" else {"id": _id(source["id"])}
    if resource == "refunds":
        return refund(source)
    if resource == "fulfillments":
        return fulfillment(source)
    if resource == "inventory_levels":
        return inventory_level(source)
    if resource == "bulk_operations":
        return bulk_finish(source)
    raise ValueError(f"The sandbox has no body for topic {topic}")
