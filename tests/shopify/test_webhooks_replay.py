"""2,000 deliveries with 30 % duplicates in shuffled order end in the same state as a clean in-order replay."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.commerce.models import Order, StaleCounter
from app.shopify.events import WebhookEvent
from tests.commerce.support import add_shop, client, deliver, ingest_pending, intake_app, state_hash

T0 = datetime(2026, 10, 1, tzinfo=UTC)
ORDERS = 110  # 14 distinct events each: 1,540 distinct + 460 duplicates = 2,000 deliveries


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def money(amount: str) -> dict:
    return {"shop_money": {"amount": amount, "currency_code": "EUR"},
            "presentment_money": {"amount": amount, "currency_code": "EUR"}}


def order_body(k: int, v: int) -> dict:
    quantity = 1 + v
    lines = [{"id": 7_000_000_000_000 + 2 * k, "title": "Hoodie", "sku": f"H-{k}", "quantity": quantity,
              "requires_shipping": True, "price": "50.00", "price_set": money("50.00"),
              "tax_lines": [{"title": "DE MwSt", "rate": "0.19", "price": "7.98", "price_set": money("7.98")}]}]
    if v < 2:
        lines.append({"id": 7_000_000_000_001 + 2 * k, "title": "E-book", "sku": f"E-{k}", "quantity": 1,
                      "requires_shipping": False, "price": "9.99", "price_set": money("9.99"), "tax_lines": []})
    return {
        "id": 5_000_000_000_000 + k, "name": f"#{1000 + k}", "created_at": iso(T0 + timedelta(seconds=k)),
        "updated_at": iso(T0 + timedelta(seconds=k, hours=v)), "currency": "EUR", "presentment_currency": "EUR",
        "taxes_included": True, "financial_status": ["pending", "paid", "paid", "partially_refunded"][v],
        "note": f"version {v}", "total_price": f"{50 * quantity}.00", "total_price_set": money(f"{50 * quantity}.00"),
        "line_items": lines, "shipping_address": {"country_code": "DE", "zip": "10115"},
    }


def events_for(k: int) -> list[tuple[str, dict, str, str]]:
    """(topic, body, event id, triggered-at) of one order's life, in the order Shopify produced them."""
    out = []
    topics = ["orders/create", "orders/paid", "orders/edited", "orders/updated"]
    for v in range(4):
        out.append((topics[v], order_body(k, v), f"o{k}-{v}", iso(T0 + timedelta(seconds=k, hours=v))))
    out.append(("refunds/create", {"id": 8_000_000_000_000 + k, "order_id": 5_000_000_000_000 + k,
                                   "created_at": iso(T0 + timedelta(seconds=k, hours=3)), "restock": False,
                                   "refund_line_items": [{"id": 1 + k, "quantity": 1, "restock_type": "no_restock",
                                                          "line_item_id": 7_000_000_000_000 + 2 * k,
                                                          "subtotal_set": money("42.02"),
                                                          "total_tax_set": money("7.98")}],
                                   "transactions": [{"id": 9_000_000_000_000 + k, "kind": "refund",
                                                     "status": "success", "amount": "50.00", "currency": "EUR",
                                                     "created_at": iso(T0 + timedelta(seconds=k, hours=3))}]},
                f"rf{k}", iso(T0 + timedelta(seconds=k, hours=3))))
    for step, (topic, number) in enumerate([("fulfillments/create", "A1"), ("fulfillments/update", "B2")]):
        out.append((topic, {"id": 6_000_000_000_000 + k, "order_id": 5_000_000_000_000 + k, "status": "success",
                            "created_at": iso(T0 + timedelta(hours=1)), "tracking_numbers": [f"{number}-{k}"],
                            "updated_at": iso(T0 + timedelta(seconds=k, hours=1 + step)),
                            "line_items": [{"id": 7_000_000_000_000 + 2 * k, "quantity": 1}]},
                    f"f{k}-{step}", iso(T0 + timedelta(seconds=k, hours=1 + step))))
    for step, status in enumerate(["requested", "open", "closed"]):
        body = {"id": 4_000_000 + k, "status": status, "order": {"id": 5_000_000_000_000 + k}}
        if step == 0:
            body["return_line_items"] = [{"id": 11 + k, "quantity": 1, "return_reason": "defective",
                                          "fulfillment_line_item": {"id": 3, "line_item": {"id": 7_000_000_000_000
                                                                                          + 2 * k}}}]
        out.append((f"returns/{['request', 'approve', 'close'][step]}", body, f"rt{k}-{step}",
                    iso(T0 + timedelta(seconds=k, hours=4 + step))))
    for step in range(4):
        out.append(("inventory_levels/update", {"inventory_item_id": 3_000 + k, "location_id": 1, "available": 10 - step,
                                                "updated_at": iso(T0 + timedelta(seconds=k, minutes=step))},
                    f"inv{k}-{step}", iso(T0 + timedelta(seconds=k, minutes=step))))
    return out


async def replay(db, http, domain: str, shop_id, deliveries) -> list[str]:
    """Deliver everything through the endpoint, then ingest what was stored in arrival order."""
    statuses = []
    for topic, body, event_id, triggered in deliveries:
        response = await deliver(http, domain, topic, body, event_id, triggered_at=triggered)
        assert response.status_code == 200
        statuses.append(response.json()["status"])
    outcomes = await ingest_pending(db, shop_id, per_transaction=100)
    assert len(outcomes) == statuses.count("stored")
    return statuses


@pytest.mark.slow
async def test_shuffled_duplicated_deliveries_converge_to_the_in_order_state(db, settings) -> None:
    clean_shop = await add_shop(db, settings, "clean.myshopify.com")
    messy_shop = await add_shop(db, settings, "messy.myshopify.com")
    distinct = [event for k in range(ORDERS) for event in events_for(k)]
    rng = random.Random(20261127)
    messy = distinct + [rng.choice(distinct) for _ in range(2000 - len(distinct))]
    rng.shuffle(messy)
    assert (len(distinct), len(messy)) == (1540, 2000)
    async with client(intake_app(settings, db)) as http:
        clean_statuses = await replay(db, http, "clean.myshopify.com", clean_shop, distinct)
        messy_statuses = await replay(db, http, "messy.myshopify.com", messy_shop, messy)
    assert clean_statuses.count("stored") == 1540
    assert (messy_statuses.count("stored"), messy_statuses.count("already received")) == (1540, 460)
    assert await state_hash(db, messy_shop) == await state_hash(db, clean_shop)
    async with db.sessionmaker() as session:
        stale = dict((await session.execute(select(StaleCounter.shop_id, func.sum(StaleCounter.count))
                                            .group_by(StaleCounter.shop_id))).all())
        orders = await session.scalar(select(func.count()).select_from(Order).where(Order.shop_id == messy_shop))
        unprocessed = await session.scalar(select(func.count()).select_from(WebhookEvent)
                                           .where(WebhookEvent.status != "processed"))
    assert orders == ORDERS and unprocessed == 0
    assert clean_shop not in stale and stale[messy_shop] > 100  # the shuffle really delivered old versions late
