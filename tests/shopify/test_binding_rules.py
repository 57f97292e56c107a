"""Binding-health rules on their own: scopes (read-only tokens named), webhooks, digital auto-fulfilment evidence."""

from __future__ import annotations

from app.shopify.binding import BindingReport, auto_fulfilled, check_auto_fulfil, check_scopes, check_webhooks

FULL = {"read_orders", "read_all_orders", "write_merchant_managed_fulfillment_orders", "read_returns",
        "read_products", "read_inventory", "read_customers"}
URL = "https://taxrecon.example/webhooks/shopify"


def checks(report: BindingReport) -> dict:
    return {c.name: c for c in report.checks}


def test_full_scopes_pass_read_and_write() -> None:
    report = BindingReport("a.myshopify.com")
    check_scopes(report, FULL)
    assert report.ok and [c.name for c in report.checks] == ["read_scopes", "write_scopes"]


def test_read_only_token_is_named_as_such() -> None:
    report = BindingReport("a.myshopify.com")
    check_scopes(report, {s.replace("write_", "read_") for s in FULL})
    result = checks(report)
    assert result["read_scopes"].ok
    assert not result["write_scopes"].ok
    assert "read-only token: it can read orders but cannot write fulfilment status back" in result["write_scopes"].why
    assert "write_merchant_managed_fulfillment_orders" in result["write_scopes"].fix


def test_missing_read_scope_is_named() -> None:
    report = BindingReport("a.myshopify.com")
    check_scopes(report, FULL - {"read_returns"})
    assert checks(report)["read_scopes"].why == "the token cannot read returns"


def test_webhooks_missing_or_pointing_elsewhere_fail() -> None:
    good = [{"topic": t, "uri": URL} for t in ("ORDERS_CREATE", "FULFILLMENTS_CREATE", "FULFILLMENTS_UPDATE")]
    report = BindingReport("a.myshopify.com")
    check_webhooks(report, good, URL)
    assert report.ok
    report = BindingReport("a.myshopify.com")
    check_webhooks(report, good[:2] + [{"topic": "FULFILLMENTS_UPDATE", "uri": "https://old.example/hooks"}], URL)
    why = checks(report)["webhooks"].why
    assert why == f"no subscription delivering FULFILLMENTS_UPDATE to {URL} (they point at https://old.example/hooks)"


def order(paid: str, fulfilled: str | None, tracking: str | None = None, gift_card: bool = False) -> dict:
    line = {"id": "gid://shopify/LineItem/1", "requiresShipping": False, "isGiftCard": gift_card}
    fulfillments = [] if fulfilled is None else [{
        "createdAt": fulfilled, "trackingInfo": [{"number": tracking}] if tracking else [],
        "fulfillmentLineItems": {"nodes": [{"lineItem": {"id": line["id"]}}]}}]
    return {"processedAt": paid, "lineItems": {"nodes": [line]}, "fulfillments": fulfillments,
            "transactions": [{"kind": "SALE", "status": "SUCCESS", "processedAt": paid}]}


def test_auto_fulfilment_evidence() -> None:
    assert auto_fulfilled(order("2026-11-01T10:00:00Z", "2026-11-01T10:00:25Z")) is True
    assert auto_fulfilled(order("2026-11-01T10:00:00Z", None)) is False
    assert auto_fulfilled(order("2026-11-01T10:00:00Z", "2026-11-03T09:00:00Z")) is False  # fulfilled by hand later
    assert auto_fulfilled(order("2026-11-01T10:00:00Z", "2026-11-01T10:00:25Z", tracking="1Z999")) is False
    assert auto_fulfilled(order("2026-11-01T10:00:00Z", "2026-11-01T10:00:25Z", gift_card=True)) is None


def test_declared_setting_compared_with_behaviour() -> None:
    auto = [order("2026-11-01T10:00:00Z", "2026-11-01T10:00:20Z")] * 3
    manual = [order("2026-11-01T10:00:00Z", None)] * 3
    for declared, orders, ok in ((True, auto, True), (False, manual, True), (False, auto, False),
                                 (True, manual, False), (True, auto[:2] + manual[:1], False)):
        report = BindingReport("a.myshopify.com")
        check_auto_fulfil(report, declared, orders)
        assert report.ok is ok, (declared, ok, report.checks[0].why)
    report = BindingReport("a.myshopify.com")
    check_auto_fulfil(report, False, auto)
    assert report.checks[0].why == "declared false, but Shopify auto-fulfils digital lines (3 of 3 recent paid orders)"
    report = BindingReport("a.myshopify.com")
    check_auto_fulfil(report, None, auto)
    assert report.checks[0].why == "the shop's tax profile does not declare digital_auto_fulfill"
