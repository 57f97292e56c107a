"""Every shared Shopify fixture maps to canonical records, with exact ids and amounts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from app.commerce.records import Money, MoneySet
from app.shopify.mapping import (
    MappingError, balance_transaction_from_rest, draft_order_from_webhook, fulfillment_from_webhook,
    order_from_webhook, parse_body, payout_from_rest, refund_from_webhook, return_from_webhook,
    suggested_refund_from_rest, tender_transaction_from_webhook, transaction_from_webhook,
)
from app.shopify.mapping.common import gid, rate_text, snake

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "shopify"


def load(name: str) -> dict:
    return parse_body(FIXTURES.joinpath(name).read_bytes())


def usd(amount: str) -> MoneySet:
    return MoneySet(Money(Decimal(amount), "USD"), Money(Decimal(amount), "USD"))


def test_every_fixture_file_is_covered_by_a_mapping_test() -> None:
    covered = {
        "SYNTHETIC-eu-de-vat-taxes-included-with-digital-line.json", "gws-2026-07-webhook-fulfillments-create.json",
        "gws-2026-07-webhook-orders-create.json", "gws-2026-07-webhook-refunds-create.json",
        "gws-2026-07-webhook-returns-request.json", "spa-rest-draft_order_completed.json", "spa-rest-fulfillment.json",
        "spa-rest-order.json", "spa-rest-payouts.json", "spa-rest-payouts_transactions.json", "spa-rest-refund.json",
        "spa-rest-refund_calculate.json", "spa-rest-tender_transactions.json", "spa-rest-transactions.json",
    }
    assert {p.name for p in FIXTURES.glob("*.json")} == covered


def test_gws_order_prefers_exact_graphql_ids_over_lossy_numbers() -> None:
    body = load("gws-2026-07-webhook-orders-create.json")["response"]
    order = order_from_webhook(body)
    assert order.shopify_id == "gid://shopify/Order/820982911946154508"
    assert order.legacy_id == "820982911946154508"
    assert [line.shopify_id for line in order.line_items][:2] == [
        "gid://shopify/LineItem/487817672276298554", "gid://shopify/LineItem/789012345678901234"]
    assert order.customer_id == "gid://shopify/Customer/115310627314723954"
    assert order.total_price == usd("404.95")
    assert order.total_shipping == usd("10.00")
    assert order.financial_status == "voided" and order.fulfillment_status == "unfulfilled"
    assert order.cancelled_at == datetime(2022, 1, 1, 0, 0, tzinfo=UTC)
    assert order.test is True and order.taxes_included is False
    assert order.tags == ("tag1", "tag2")
    assert order.shipping_address is not None and order.shipping_address.province_code == "KY"
    assert order.line_items[0].sku == "SKU2006-001" and order.line_items[0].requires_shipping is True
    assert order.shipping_lines[0].shopify_id == "gid://shopify/ShippingLine/271878346596884000"
    assert order.validation_issues == ()


def test_synthetic_eu_order_taxes_included_digital_line_and_vat_id() -> None:
    order = order_from_webhook(load("SYNTHETIC-eu-de-vat-taxes-included-with-digital-line.json")["order"])
    assert order.currency == "EUR" and order.taxes_included is True
    assert order.customer_tax_id == "DE000000000"
    assert [line.requires_shipping for line in order.line_items] == [True, False]
    line_tax = [tax.amount.shop.amount for line in order.line_items for tax in line.tax_lines]
    ship_tax = [tax.amount.shop.amount for ship in order.shipping_lines for tax in ship.tax_lines]
    assert line_tax == [Decimal("19.00"), Decimal("1.90")] and ship_tax == [Decimal("0.95")]
    assert sum(line_tax + ship_tax) == order.total_tax.shop.amount == Decimal("21.85")
    assert {tax.rate for tax in order.tax_lines} == {"0.19"}
    assert order.tax_lines[0].channel_liable is False and order.tax_lines[0].title == "DE MwSt"


def test_legacy_rest_order_single_amounts_note_attributes_and_embedded_fulfillment() -> None:
    order = order_from_webhook(load("spa-rest-order.json")["order"])
    assert order.shopify_id == "gid://shopify/Order/450789469"
    assert order.tax_lines[0].rate == "0.06" and order.tax_lines[0].amount == usd("11.94")
    assert order.custom_attributes == (("custom engraving", "Happy Birthday"), ("colour", "green"))
    assert order.line_items[0].properties == (("Custom Engraving", "Happy Birthday"),)
    assert order.line_items[0].unit_price == usd("199.00")
    assert order.line_items[0].variant_id == "gid://shopify/ProductVariant/39072856"
    assert order.fulfillments[0].order_id == order.shopify_id
    assert order.fulfillments[0].tracking_numbers == ("1Z2345",) and order.fulfillments[0].status == "failure"
    assert order.financial_status == "authorized"


def test_gws_refund_lines_restock_and_transactions_with_inferred_currency() -> None:
    refund = refund_from_webhook(load("gws-2026-07-webhook-refunds-create.json")["response"])
    assert refund.shopify_id == "gid://shopify/Refund/890088186047892319"
    assert len(refund.lines) == 5 and {line.restock_type for line in refund.lines} == {"no_restock"}
    assert refund.lines[0].line_item_id == "gid://shopify/LineItem/487817672276298554"
    assert refund.lines[0].subtotal == usd("89.99")
    assert [t.amount.presentment for t in refund.transactions] == [Money(Decimal("75.00"), "USD"),
                                                                   Money(Decimal("10.00"), "USD")]
    assert refund.transactions[0].refund_id == refund.shopify_id and refund.transactions[0].kind == "refund"
    assert refund.validation_issues == ()


def test_legacy_refund_without_restock_type_is_flagged() -> None:
    refund = refund_from_webhook(load("spa-rest-refund.json")["refund"])
    assert refund.restock is True and refund.lines[1].line_item_id == "gid://shopify/LineItem/466157049"
    assert "refund.refund_line_items[0].restock_type missing" in refund.validation_issues
    assert refund.transactions[0].amount.presentment == Money(Decimal("209.00"), "USD")


def test_fulfillments_map_tracking_and_lines() -> None:
    gws = fulfillment_from_webhook(load("gws-2026-07-webhook-fulfillments-create.json")["response"])
    assert gws.shopify_id == "gid://shopify/Fulfillment/123456" and gws.tracking_company == "UPS"
    assert gws.tracking_numbers == ("1z827wk74630",) and len(gws.lines) == 5
    spa = fulfillment_from_webhook(load("spa-rest-fulfillment.json")["fulfillment"])
    assert spa.tracking_urls == ("http://www.google.com/search?q=1Z2345",) and spa.status == "pending"


def test_return_request() -> None:
    record = return_from_webhook(load("gws-2026-07-webhook-returns-request.json")["response"])
    assert (record.shopify_id, record.order_id, record.status, record.total_quantity) == (
        "gid://shopify/Return/123134564567890", "gid://shopify/Order/4783296544821", "requested", 2)


def test_transactions_payouts_and_balance_transactions() -> None:
    auth = transaction_from_webhook(load("spa-rest-transactions.json")[0])
    assert auth.kind == "authorization" and auth.amount.presentment == Money(Decimal("409.94"), "XXX")
    assert auth.validation_issues == ("transaction currency missing",)
    tenders = [tender_transaction_from_webhook(t) for t in load("spa-rest-tender_transactions.json")["tender_transactions"]]
    assert [t.amount.shop.amount for t in tenders] == [Decimal("138.46"), Decimal("128.16"), Decimal("28.16")]
    assert tenders[0].resource == "tender_transaction" and tenders[0].payment_method == "credit_card"
    payouts = [payout_from_rest(p) for p in load("spa-rest-payouts.json")["payouts"]]
    assert payouts[0].net == Money(Decimal("43.12"), "USD") and dict(payouts[0].summary)["refunds_fee"] == Decimal("-0.23")
    balance = [balance_transaction_from_rest(t) for t in load("spa-rest-payouts_transactions.json")["transactions"]]
    assert balance[1].source_type == "adjustment_reversal" and balance[2].source_type == "refund"
    assert balance[2].source_order_id == "gid://shopify/Order/217130470"
    assert (balance[4].amount, balance[4].fee, balance[4].net) == (
        Money(Decimal("-1.50"), "USD"), Money(Decimal("-0.25"), "USD"), Money(Decimal("-1.75"), "USD"))
    assert balance[0].payout_id == "gid://shopify/ShopifyPaymentsPayout/623721858"


def test_draft_order_and_suggested_refund_previews() -> None:
    draft = draft_order_from_webhook(load("spa-rest-draft_order_completed.json")["draft_order"])
    assert draft.order_id == "gid://shopify/Order/450789469" and draft.status == "completed"
    assert [line.requires_shipping for line in draft.line_items] == [True, False]
    suggestion = suggested_refund_from_rest(load("spa-rest-refund_calculate.json")["refund"], "USD")
    assert suggestion.shipping_maximum == usd("5.00")
    assert suggestion.lines[0].total_tax == usd("3.98")
    assert suggestion.transactions[0][0] == "gid://shopify/OrderTransaction/801038806"


def test_ids_are_never_floats_and_bad_ids_fail_clearly() -> None:
    assert gid("Order", 820982911946154508) == "gid://shopify/Order/820982911946154508"
    with pytest.raises(MappingError, match="not an exact integer"):
        gid("Order", 8.2e17)
    with pytest.raises(MappingError, match="neither a gid nor digits"):
        gid("Order", "abc")
    with pytest.raises(MappingError, match="order has no id"):
        order_from_webhook({"name": "#1"})


def test_rates_and_enums_normalise() -> None:
    assert rate_text(Decimal("0.190")) == "0.19" and rate_text(0.07) == "0.07" and rate_text("0.0825") == "0.0825"
    assert snake("Payments::Balance::AdjustmentReversal") == "adjustment_reversal"
    assert snake("PARTIALLY_REFUNDED") == "partially_refunded"


def test_missing_fields_are_flagged_not_fatal() -> None:
    order = order_from_webhook({"id": 5, "line_items": [{"id": 7, "title": "x"}]})
    assert order.shopify_id == "gid://shopify/Order/5"
    assert "order.updated_at missing" in order.validation_issues
    assert "line_items[0].requires_shipping missing" in order.validation_issues
