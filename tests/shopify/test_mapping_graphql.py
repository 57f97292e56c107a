"""The Admin GraphQL mapper reads what app/shopify/queries select, and agrees with the webhook mapper."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from graphql import FieldNode, parse, visit
from graphql.language import Visitor

from app.commerce.records import Money, MoneySet
from app.shopify.mapping import (
    BulkOrderError, assemble, balance_transaction_from_graphql, order_from_graphql, order_from_webhook, parse_body,
    payout_from_graphql,
)

QUERIES = Path(__file__).resolve().parents[2] / "app" / "shopify" / "queries"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "shopify"


def selected_names(*documents: str) -> set[str]:
    names: set[str] = set()

    class Collect(Visitor):
        def enter_field(self, node: FieldNode, *_: object) -> None:
            names.add(node.name.value)

    for name in documents:
        visit(parse(QUERIES.joinpath(name).read_text()), Collect())
    return names


def keys_of(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for item in value.values() for k in keys_of(item)}
    if isinstance(value, list):
        return {k for item in value for k in keys_of(item)}
    return set()


def bag(amount: str, currency: str = "EUR") -> dict:
    return {"shopMoney": {"amount": amount, "currencyCode": currency},
            "presentmentMoney": {"amount": amount, "currencyCode": currency}}


def tax(amount: str) -> dict:
    return {"title": "DE MwSt", "rate": 0.19, "ratePercentage": 19.0, "channelLiable": False, "source": "Shopify",
            "priceSet": bag(amount)}


def eu_order_node() -> dict:
    """The synthetic EU order as orders_updated_since returns it."""
    address = {"address1": "Beispielstrasse 1", "address2": None, "city": "Berlin", "zip": "10115", "province": None,
               "provinceCode": None, "country": "Germany", "countryCodeV2": "DE", "company": None}
    inventory = {"id": "gid://shopify/InventoryItem/1", "harmonizedSystemCode": "610910",
                 "countryCodeOfOrigin": "PT", "provinceCodeOfOrigin": None,
                 "unitCost": {"amount": "12.40", "currencyCode": "EUR"}}
    return {
        "id": "gid://shopify/Order/1000000000001", "legacyResourceId": "1000000000001", "name": "#1001",
        "createdAt": "2026-03-02T09:15:00Z", "updatedAt": "2026-03-02T09:16:00Z",
        "processedAt": "2026-03-02T09:15:00Z", "cancelledAt": None, "cancelReason": None, "closedAt": None,
        "test": True, "currencyCode": "EUR", "presentmentCurrencyCode": "EUR", "taxesIncluded": True,
        "taxExempt": False, "displayFinancialStatus": "PAID", "displayFulfillmentStatus": "UNFULFILLED",
        "note": None, "tags": [], "sourceName": "web",
        "customAttributes": [{"key": "vat_id", "value": "DE000000000"}],
        "subtotalPriceSet": bag("130.90"), "totalPriceSet": bag("136.85"), "currentTotalPriceSet": bag("136.85"),
        "totalTaxSet": bag("21.85"), "currentTotalTaxSet": bag("21.85"), "totalShippingPriceSet": bag("5.95"),
        "totalDiscountsSet": bag("0.00"), "totalOutstandingSet": bag("0.00"), "originalTotalDutiesSet": None,
        "taxLines": [tax("21.85")], "shippingAddress": address, "billingAddress": address,
        "customer": {"id": "gid://shopify/Customer/5", "taxExempt": False, "taxSettings": {"taxId": None}},
        "lineItems": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": [
            {"id": "gid://shopify/LineItem/2000000000001", "name": "Hoodie - M", "sku": "HOOD-M", "quantity": 2,
             "currentQuantity": 2, "unfulfilledQuantity": 2, "requiresShipping": True, "isGiftCard": False,
             "taxable": True, "variantTitle": "M", "customAttributes": [], "originalUnitPriceSet": bag("59.50"),
             "discountedUnitPriceSet": bag("59.50"), "totalDiscountSet": bag("0.00"), "taxLines": [tax("19.00")],
             "product": {"id": "gid://shopify/Product/3000000000001"},
             "variant": {"id": "gid://shopify/ProductVariant/4000000000001", "sku": "HOOD-M",
                         "inventoryItem": inventory}},
            {"id": "gid://shopify/LineItem/2000000000002", "name": "E-Book", "sku": "EBOOK-1", "quantity": 1,
             "currentQuantity": 1, "unfulfilledQuantity": 1, "requiresShipping": False, "isGiftCard": False,
             "taxable": True, "variantTitle": None, "customAttributes": [], "originalUnitPriceSet": bag("11.90"),
             "discountedUnitPriceSet": bag("11.90"), "totalDiscountSet": bag("0.00"), "taxLines": [tax("1.90")],
             "product": None, "variant": None},
        ]},
        "shippingLines": {"nodes": [{"id": "gid://shopify/ShippingLine/5000000000001", "title": "Standard",
                                     "code": "Standard", "source": "shopify", "isRemoved": False,
                                     "originalPriceSet": bag("5.95"), "discountedPriceSet": bag("5.95"),
                                     "taxLines": [tax("0.95")]}]},
        "transactions": [{"id": "gid://shopify/OrderTransaction/1", "kind": "SALE", "status": "SUCCESS",
                          "gateway": "shopify_payments", "test": True, "createdAt": "2026-03-02T09:15:00Z",
                          "processedAt": "2026-03-02T09:15:00Z", "amountSet": bag("136.85"),
                          "parentTransaction": None}],
        "refunds": [], "fulfillments": [],
        "returns": {"nodes": [{"id": "gid://shopify/Return/9", "name": "#1001-R1", "status": "OPEN",
                               "createdAt": "2026-03-05T10:00:00Z", "closedAt": None, "totalQuantity": 1,
                               "decline": None, "returnLineItems": {"nodes": [
                                   {"__typename": "ReturnLineItem", "id": "gid://shopify/ReturnLineItem/1",
                                    "quantity": 1, "refundedQuantity": 0, "returnReasonNote": "",
                                    "customerNote": None, "returnReasonDefinition": {"handle": "too-small",
                                                                                     "name": "Too small"},
                                    "fulfillmentLineItem": {"id": "gid://shopify/FulfillmentLineItem/4",
                                                            "lineItem": {"id": "gid://shopify/LineItem/2000000000001"}}}]}}]},
        "fulfillmentOrders": {"nodes": [{"id": "gid://shopify/FulfillmentOrder/7", "status": "OPEN",
                                         "requestStatus": "UNSUBMITTED", "deliveryMethod": {"methodType": "NONE"},
                                         "assignedLocation": {"location": {"id": "gid://shopify/Location/1"}},
                                         "lineItems": {"nodes": [{"id": "gid://shopify/FulfillmentOrderLineItem/8",
                                                                  "totalQuantity": 1, "remainingQuantity": 1,
                                                                  "lineItem": {"id": "gid://shopify/LineItem/2000000000002"}}]}}]},
    }


def test_test_node_only_uses_fields_the_sync_query_selects() -> None:
    node = eu_order_node()
    assert keys_of(node) - {"__typename"} <= selected_names("orders_updated_since.graphql")


def test_graphql_and_webhook_shapes_map_to_the_same_facts() -> None:
    graph = order_from_graphql(eu_order_node())
    hook = order_from_webhook(parse_body(FIXTURES.joinpath(
        "SYNTHETIC-eu-de-vat-taxes-included-with-digital-line.json").read_bytes())["order"])
    for name in ("shopify_id", "legacy_id", "name", "created_at", "updated_at", "currency", "presentment_currency",
                 "taxes_included", "test", "financial_status", "fulfillment_status", "customer_tax_id", "subtotal",
                 "total_price", "total_tax", "total_shipping", "current_total_price", "current_total_tax"):
        assert getattr(graph, name) == getattr(hook, name), name
    assert [(t.title, t.rate, t.amount, t.channel_liable) for t in graph.tax_lines] == [
        (t.title, t.rate, t.amount, t.channel_liable) for t in hook.tax_lines]
    for g_line, h_line in zip(graph.line_items, hook.line_items, strict=True):
        assert (g_line.shopify_id, g_line.sku, g_line.quantity, g_line.unit_price, g_line.requires_shipping) == (
            h_line.shopify_id, h_line.sku, h_line.quantity, h_line.unit_price, h_line.requires_shipping)
        assert [(t.rate, t.amount) for t in g_line.tax_lines] == [(t.rate, t.amount) for t in h_line.tax_lines]
    assert graph.shipping_lines[0].tax_lines[0].amount == hook.shipping_lines[0].tax_lines[0].amount
    assert graph.shipping_address.country_code == hook.shipping_address.country_code == "DE"


def test_graphql_only_facts_hs_code_cost_delivery_method_and_returns() -> None:
    record = order_from_graphql(eu_order_node())
    hoodie, ebook = record.line_items
    assert (hoodie.hs_code, hoodie.country_of_origin, hoodie.unit_cost) == ("610910", "PT",
                                                                           Money(Decimal("12.40"), "EUR"))
    assert ebook.product_exists is False and ebook.variant_id is None
    assert record.fulfillment_orders[0].delivery_method == "none"
    assert record.fulfillment_orders[0].lines[0].line_item_id == "gid://shopify/LineItem/2000000000002"
    assert record.returns[0].lines[0].reason == "too-small" and record.returns[0].status == "open"
    assert record.transactions[0].kind == "sale" and record.transactions[0].amount == MoneySet(
        Money(Decimal("136.85"), "EUR"), Money(Decimal("136.85"), "EUR"))
    assert record.tax_lines[0].rate_percentage == "19"


def test_bulk_jsonl_children_join_their_parents() -> None:
    node = eu_order_node()
    lines = node.pop("lineItems")["nodes"]
    ships = node.pop("shippingLines")["nodes"]
    node["refunds"] = [{"id": "gid://shopify/Refund/1", "createdAt": "2026-03-03T00:00:00Z", "note": None,
                        "totalRefundedSet": bag("11.90")}]
    jsonl = [json.dumps(node)]
    jsonl += [json.dumps({"__typename": "LineItem", **item, "__parentId": node["id"]}) for item in lines]
    jsonl.append(json.dumps({"__typename": "RefundLineItem", "id": "gid://shopify/RefundLineItem/1", "quantity": 1,
                             "restockType": "NO_RESTOCK", "lineItem": {"id": lines[1]["id"]},
                             "subtotalSet": bag("10.00"), "totalTaxSet": bag("1.90"),
                             "__parentId": "gid://shopify/Refund/1"}))
    jsonl += [json.dumps({"__typename": "ShippingLine", **item, "__parentId": node["id"]}) for item in ships]
    second = {"id": "gid://shopify/Order/2", "updatedAt": "2026-03-02T09:16:00Z"}
    jsonl.append(json.dumps(second))
    roots = list(assemble(json.loads(line) for line in jsonl))
    assert [r["id"] for r in roots] == ["gid://shopify/Order/1000000000001", "gid://shopify/Order/2"]
    record = order_from_graphql(roots[0])
    assert [line.sku for line in record.line_items] == ["HOOD-M", "EBOOK-1"]
    assert len(record.shipping_lines) == 1
    assert record.refunds[0].lines[0].restock_type == "no_restock"
    assert record.refunds[0].lines[0].line_item_id == "gid://shopify/LineItem/2000000000002"


def test_bulk_child_without_its_parent_is_refused() -> None:
    rows = [{"id": "gid://shopify/Order/1"}, {"id": "gid://shopify/Order/2"},
            {"__typename": "LineItem", "id": "gid://shopify/LineItem/1", "__parentId": "gid://shopify/Order/1"}]
    with pytest.raises(BulkOrderError, match="not the current root"):
        list(assemble(rows))


def test_payout_and_balance_transaction_nodes() -> None:
    payout = payout_from_graphql({
        "id": "gid://shopify/ShopifyPaymentsPayout/1", "status": "PAID", "issuedAt": "2026-03-10T00:00:00Z",
        "net": {"amount": "41.90", "currencyCode": "EUR"},
        "summary": {"chargesGross": {"amount": "44.52", "currencyCode": "EUR"},
                    "chargesFee": {"amount": "1.32", "currencyCode": "EUR"},
                    "refundsFeeGross": {"amount": "-3.54", "currencyCode": "EUR"}}})
    assert payout.net == Money(Decimal("41.90"), "EUR") and payout.status == "paid"
    assert dict(payout.summary) == {"charges_gross": Decimal("44.52"), "charges_fee": Decimal("1.32"),
                                    "refunds_gross": Decimal("-3.54")}
    balance = balance_transaction_from_graphql({
        "id": "gid://shopify/ShopifyPaymentsBalanceTransaction/9", "type": "CHARGE", "test": False,
        "transactionDate": "2026-03-09T12:00:00Z", "amount": {"amount": "10.00", "currencyCode": "EUR"},
        "fee": {"amount": "0.59", "currencyCode": "EUR"}, "net": {"amount": "9.41", "currencyCode": "EUR"},
        "sourceType": "CHARGE", "sourceId": 123, "sourceOrderTransactionId": 456,
        "associatedOrder": {"id": "gid://shopify/Order/5", "name": "#1005"},
        "associatedPayout": {"id": "gid://shopify/ShopifyPaymentsPayout/1", "status": "PAID"}})
    assert (balance.type, balance.source_type, balance.source_id) == ("charge", "charge", "123")
    assert balance.source_order_transaction_id == "gid://shopify/OrderTransaction/456"
    assert balance.payout_status == "paid" and balance.fee == Money(Decimal("0.59"), "EUR")


def test_discount_allocations_and_the_order_number_agree_between_webhook_and_graphql() -> None:
    from app.shopify.sandbox import generate_store
    from app.shopify.sandbox.rest import body_for

    def public(value):  # the sandbox's order as the API shows it: no private `_` keys (they link back)
        if isinstance(value, dict):
            return {key: public(item) for key, item in value.items() if not key.startswith("_")}
        if isinstance(value, list):
            return [public(item) for item in value]
        return str(value) if isinstance(value, Decimal) else value

    store = generate_store(seed=91, orders=40, plan="plus")
    compared = 0
    for index in range(40):
        node = store.order(index)
        graph = order_from_graphql(public(node))
        hook = order_from_webhook(json.loads(json.dumps(body_for("orders/updated", node), default=str)))
        assert graph.number == hook.number is not None
        for g_line, h_line in zip(graph.line_items, hook.line_items, strict=True):
            assert g_line.discount_allocations == h_line.discount_allocations
            compared += len(g_line.discount_allocations)
    assert compared > 0
    for document in ("orders_updated_since.graphql", "bulk_orders.graphql", "order_line_items.graphql"):
        assert "discountAllocations" in selected_names(document), document
    assert "number" in selected_names("orders_updated_since.graphql") & selected_names("bulk_orders.graphql")
