"""Topics with side effects: compliance (GDPR), app/uninstalled, bulk_operations/finish, orders/delete, returns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from app.commerce.models import LineItem, Order, Return, ReturnLine
from app.jobs.models import OutboxMessage
from app.shopify.events import ComplianceRequest, WebhookEvent
from app.shopify.mapping import parse_body
from app.shops.models import Shop
from tests.commerce.support import add_shop, client, deliver, ingest_pending, intake_app

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "shopify"
DOMAIN = "privacy-shop.myshopify.com"
CUSTOMER = {"id": 115310627314723954, "email": "john@example.com", "phone": None}


def order_body() -> bytes:
    body = parse_body(FIXTURES.joinpath("gws-2026-07-webhook-orders-create.json").read_bytes())["response"]
    body["customer"]["id"] = CUSTOMER["id"]
    body["line_items"][0]["properties"] = [{"name": "Engraving", "value": "For John"}]
    return json.dumps(body, default=str).encode()


@pytest.fixture
async def intake(db, settings):
    shop_id = await add_shop(db, settings, DOMAIN)
    async with client(intake_app(settings, db)) as http:
        yield http, shop_id


async def the_order(db, shop_id) -> Order:
    async with db.sessionmaker() as session:
        return await session.scalar(select(Order).where(Order.shop_id == shop_id))


async def requests(db, shop_id) -> list[ComplianceRequest]:
    async with db.sessionmaker() as session:
        return list((await session.scalars(select(ComplianceRequest).where(ComplianceRequest.shop_id == shop_id)
                                           .order_by(ComplianceRequest.received_at))).all())


async def test_data_request_records_what_we_hold(intake, db) -> None:
    http, shop_id = intake
    await deliver(http, DOMAIN, "orders/create", order_body(), "e-order")
    request = {"shop_id": 1, "shop_domain": DOMAIN, "customer": CUSTOMER, "orders_requested": [820982911946154508],
               "data_request": {"id": 9999}}
    await deliver(http, DOMAIN, "customers/data_request", request, "e-req")
    assert await ingest_pending(db, shop_id) == ["order applied",
                                                 "data request recorded: 1 order(s) hold personal data"]
    [recorded] = await requests(db, shop_id)
    assert recorded.kind == "customers/data_request" and recorded.result["data_request_id"] == 9999
    assert recorded.result["orders"][0]["order"] == "gid://shopify/Order/820982911946154508"
    assert recorded.result["orders"][0]["personal_fields"] == ["customer_gid", "email", "shipping_address",
                                                               "billing_address"]
    assert (await the_order(db, shop_id)).email == "jon@example.com"  # a request erases nothing


async def test_customer_redact_erases_personal_data_and_keeps_the_books(intake, db) -> None:
    http, shop_id = intake
    await deliver(http, DOMAIN, "orders/create", order_body(), "e-order")
    redact = {"shop_id": 1, "shop_domain": DOMAIN, "customer": CUSTOMER, "orders_to_redact": [820982911946154508]}
    await deliver(http, DOMAIN, "customers/redact", redact, "e-redact")
    outcomes = await ingest_pending(db, shop_id)
    assert outcomes[-1] == "customer redacted: 1 order(s), 2 raw event(s)"
    order = await the_order(db, shop_id)
    assert (order.email, order.phone, order.customer_gid, order.note) == (None, None, None, None)
    assert order.shipping_address == {"country_code": "US", "country": "United States", "province_code": "KY",
                                      "province": "Kentucky", "zip": "40003"}
    assert (order.total_price_minor, order.currency, order.name) == (40495, "USD", "#9999")
    assert order.redacted_at is not None
    async with db.sessionmaker() as session:
        properties = (await session.scalars(select(LineItem.properties).where(LineItem.order_id == order.id))).all()
        bodies = (await session.scalars(select(WebhookEvent.body).where(WebhookEvent.shop_id == shop_id))).all()
    assert all(p == [] for p in properties)
    assert all("john@example.com" not in b and "jon@example.com" not in b and "Shipping Street" not in b
               for b in bodies)
    [recorded] = await requests(db, shop_id)
    assert recorded.customer_email is None and recorded.order_gids == ["gid://shopify/Order/820982911946154508"]


async def test_late_order_redelivery_after_redact_stays_anonymous(intake, db) -> None:
    http, shop_id = intake
    redact = {"shop_id": 1, "shop_domain": DOMAIN, "customer": CUSTOMER, "orders_to_redact": []}
    await deliver(http, DOMAIN, "customers/redact", redact, "e-redact")
    await deliver(http, DOMAIN, "orders/updated", order_body(), "e-late")
    await ingest_pending(db, shop_id)
    order = await the_order(db, shop_id)
    assert (order.email, order.customer_gid) == (None, None)
    assert order.billing_address == {"country_code": "US", "country": "United States", "province_code": "KY",
                                     "province": "Kentucky", "zip": "40003"}


async def test_uninstall_then_shop_redact(intake, db) -> None:
    http, shop_id = intake
    await deliver(http, DOMAIN, "orders/create", order_body(), "e-order")
    await deliver(http, DOMAIN, "customers/data_request", {"customer": CUSTOMER, "orders_requested": []}, "e-req")
    await deliver(http, DOMAIN, "app/uninstalled", {"id": 548380009, "domain": DOMAIN}, "e-uninstall",
                  triggered_at="2026-11-03T12:00:00Z")
    await deliver(http, DOMAIN, "shop/redact", {"shop_id": 548380009, "shop_domain": DOMAIN}, "e-shop-redact")
    outcomes = await ingest_pending(db, shop_id)
    assert outcomes == ["order applied", "data request recorded: 1 order(s) hold personal data",
                        "shop marked uninstalled", "shop redacted: 1 order(s), 4 raw event(s)"]
    assert [r.customer_email for r in await requests(db, shop_id)] == [None, None]
    async with db.sessionmaker() as session:
        shop = await session.get(Shop, shop_id)
    assert shop.uninstalled_at.isoformat() == "2026-11-03T12:00:00+00:00"
    assert shop.access_token_encrypted is None
    assert (await the_order(db, shop_id)).email is None


async def test_bulk_operation_finish_hands_over_to_the_backfill_job(intake, db) -> None:
    http, shop_id = intake
    body = {"admin_graphql_api_id": "gid://shopify/BulkOperation/42", "status": "completed", "error_code": None,
            "type": "query", "completed_at": "2026-11-03T12:00:00Z"}
    await deliver(http, DOMAIN, "bulk_operations/finish", body, "e-bulk")
    assert await ingest_pending(db, shop_id) == [
        "bulk operation gid://shopify/BulkOperation/42 handed to shopify.bulk_finished"]
    async with db.sessionmaker() as session:
        message = await session.scalar(select(OutboxMessage).where(OutboxMessage.name == "shopify.bulk_finished"))
    assert message.payload == {"shop_id": str(shop_id), "admin_graphql_api_id": "gid://shopify/BulkOperation/42",
                               "status": "completed", "error_code": None, "completed_at": "2026-11-03T12:00:00Z"}


async def test_order_delete_marks_the_order_even_before_it_arrives(intake, db) -> None:
    http, shop_id = intake
    await deliver(http, DOMAIN, "orders/delete", {"id": 820982911946154508}, "e-del",
                  triggered_at="2026-11-05T00:00:00Z")
    await deliver(http, DOMAIN, "orders/create", order_body(), "e-create")
    assert await ingest_pending(db, shop_id) == ["order marked deleted", "order applied"]
    order = await the_order(db, shop_id)
    assert order.deleted_at.isoformat() == "2026-11-05T00:00:00+00:00" and order.name == "#9999"


async def test_return_status_follows_triggered_at_not_arrival(intake, db) -> None:
    http, shop_id = intake
    base = {"id": 77, "admin_graphql_api_id": "gid://shopify/Return/77", "order": {"id": 5}}
    request = {**base, "status": "requested", "return_line_items": [
        {"id": 1, "quantity": 1, "fulfillment_line_item": {"id": 3, "line_item": {"id": 9}},
         "return_reason": "size_too_small", "customer_note": "too tight"}]}
    await deliver(http, DOMAIN, "returns/close", {**base, "status": "closed"}, "r3", triggered_at="2026-11-01T03:00:00Z")
    await deliver(http, DOMAIN, "returns/request", request, "r1", triggered_at="2026-11-01T01:00:00Z")
    await deliver(http, DOMAIN, "returns/approve", {**base, "status": "open"}, "r2", triggered_at="2026-11-01T02:00:00Z")
    assert await ingest_pending(db, shop_id) == ["return applied", "return stale", "return stale"]
    async with db.sessionmaker() as session:
        stored = await session.scalar(select(Return).where(Return.shop_id == shop_id))
        lines = (await session.scalars(select(ReturnLine).where(ReturnLine.return_id == stored.id))).all()
    assert (stored.status, stored.order_gid) == ("closed", "gid://shopify/Order/5")
    assert [(line.line_item_gid, line.reason, line.customer_note) for line in lines] == [
        ("gid://shopify/LineItem/9", "size_too_small", "too tight")]
