"""POST /webhooks/shopify: fixtures round-trip into the canonical tables; bad input stores nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.commerce.models import Fulfillment, LineItem, Order, Refund, Return, TaxLine, Transaction
from app.jobs.models import OutboxMessage
from app.shopify.events import WebhookEvent
from tests.commerce.support import (
    add_shop, client, count, deliver, headers, ingest_one, ingest_pending, intake_app,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "shopify"
DOMAIN = "fixture-shop.myshopify.com"


def raw(name: str, *path: object) -> bytes:
    """A fixture's webhook body as bytes (ids stay exact ints; fractional numbers are re-sent as decimal strings)."""
    from app.shopify.mapping import parse_body

    value = parse_body(FIXTURES.joinpath(name).read_bytes())
    for key in path:
        value = value[key]
    return json.dumps(value, default=str).encode()


async def outbox_count(db, name: str) -> int:
    async with db.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxMessage)
                                         .where(OutboxMessage.name == name)) or 0)


async def events(db) -> list[WebhookEvent]:
    async with db.sessionmaker() as session:
        return list((await session.scalars(select(WebhookEvent).order_by(WebhookEvent.received_at))).all())


@pytest.fixture
async def intake(db, settings):
    shop_id = await add_shop(db, settings, DOMAIN)
    async with client(intake_app(settings, db)) as http:
        yield http, shop_id


ROUND_TRIPS = [
    ("gws-2026-07-webhook-orders-create.json", ("response",), "orders/create", Order,
     "gid://shopify/Order/820982911946154508"),
    ("SYNTHETIC-eu-de-vat-taxes-included-with-digital-line.json", ("order",), "orders/create", Order,
     "gid://shopify/Order/1000000000001"),
    ("spa-rest-order.json", ("order",), "orders/updated", Order, "gid://shopify/Order/450789469"),
    ("gws-2026-07-webhook-refunds-create.json", ("response",), "refunds/create", Refund,
     "gid://shopify/Refund/890088186047892319"),
    ("spa-rest-refund.json", ("refund",), "refunds/create", Refund, "gid://shopify/Refund/509562969"),
    ("gws-2026-07-webhook-fulfillments-create.json", ("response",), "fulfillments/create", Fulfillment,
     "gid://shopify/Fulfillment/123456"),
    ("spa-rest-fulfillment.json", ("fulfillment",), "fulfillments/update", Fulfillment,
     "gid://shopify/Fulfillment/255858046"),
    ("gws-2026-07-webhook-returns-request.json", ("response",), "returns/request", Return,
     "gid://shopify/Return/123134564567890"),
    ("spa-rest-transactions.json", (0,), "order_transactions/create", Transaction,
     "gid://shopify/OrderTransaction/389404469"),
    ("spa-rest-tender_transactions.json", ("tender_transactions", 0), "tender_transactions/create", Transaction,
     "gid://shopify/TenderTransaction/1"),
]


@pytest.mark.parametrize(("name", "path", "topic", "model", "shopify_id"), ROUND_TRIPS,
                         ids=[r[0].removesuffix(".json") for r in ROUND_TRIPS])
async def test_fixture_round_trips_into_canonical_tables(intake, db, name, path, topic, model, shopify_id) -> None:
    http, shop_id = intake
    response = await deliver(http, DOMAIN, topic, raw(name, *path), "evt-1")
    assert (response.status_code, response.json()["status"]) == (200, "stored")
    assert await outbox_count(db, "shopify.ingest_event") == 1
    outcome = await ingest_one(db, shop_id, "evt-1")
    assert outcome.endswith("applied")
    assert await count(db, model, shop_id, shopify_id=shopify_id) == 1
    stored = (await events(db))[0]
    assert stored.status == "processed" and stored.topic == topic


async def test_eu_order_lands_with_line_and_shipping_taxes(intake, db) -> None:
    http, shop_id = intake
    await deliver(http, DOMAIN, "orders/create",
                  raw("SYNTHETIC-eu-de-vat-taxes-included-with-digital-line.json", "order"), "evt-eu")
    await ingest_pending(db, shop_id)
    assert await count(db, LineItem, shop_id) == 2 and await count(db, TaxLine, shop_id) == 4
    assert await count(db, LineItem, shop_id, requires_shipping=False) == 1


async def test_draft_order_topic_is_stored_and_ignored_without_a_job(intake, db) -> None:
    http, _ = intake
    response = await deliver(http, DOMAIN, "draft_orders/update",
                             raw("spa-rest-draft_order_completed.json", "draft_order"), "evt-draft")
    assert (response.status_code, response.json()["status"]) == (200, "ignored")
    assert [e.status for e in await events(db)] == ["ignored"]
    assert await outbox_count(db, "shopify.ingest_event") == 0


async def test_duplicate_event_id_is_acknowledged_once(intake, db) -> None:
    http, _ = intake
    body = raw("spa-rest-order.json", "order")
    first = await deliver(http, DOMAIN, "orders/create", body, "evt-dup")
    second = await deliver(http, DOMAIN, "orders/create", body, "evt-dup")
    assert first.json()["status"] == "stored"
    assert (second.status_code, second.json()["status"]) == (200, "already received")
    assert len(await events(db)) == 1 and await outbox_count(db, "shopify.ingest_event") == 1


async def test_forged_and_missing_hmac_are_401_and_store_nothing(intake, db) -> None:
    http, _ = intake
    body = raw("spa-rest-order.json", "order")
    forged = headers(DOMAIN, "orders/create", body, "evt-x", secret="not-the-secret")
    assert (await http.post("/webhooks/shopify", content=body, headers=forged)).status_code == 401
    missing = headers(DOMAIN, "orders/create", body, "evt-y")
    del missing["X-Shopify-Hmac-Sha256"]
    response = await http.post("/webhooks/shopify", content=body, headers=missing)
    assert (response.status_code, response.json()["error"]) == (401, "HMAC_INVALID")
    tampered = headers(DOMAIN, "orders/create", body, "evt-z")
    assert (await http.post("/webhooks/shopify", content=body + b" ", headers=tampered)).status_code == 401
    assert await events(db) == [] and await outbox_count(db, "shopify.ingest_event") == 0


async def test_unknown_shop_is_404(intake, db) -> None:
    http, _ = intake
    response = await deliver(http, "other-shop.myshopify.com", "orders/create", b"{}", "evt-1")
    assert (response.status_code, response.json()["error"]) == (404, "UNKNOWN_SHOP")
    assert await events(db) == []


async def test_oversized_bodies_are_413_by_header_and_by_count(intake, db, settings) -> None:
    http, _ = intake
    big = b'{"id": 1, "pad": "' + b"x" * settings.webhook_max_bytes + b'"}'
    response = await deliver(http, DOMAIN, "orders/create", big, "evt-big")
    assert (response.status_code, response.json()["error"]) == (413, "PAYLOAD_TOO_LARGE")

    async def chunks():
        for _ in range(6):
            yield b"x" * (1024 * 1024)

    streamed = headers(DOMAIN, "orders/create", b"", "evt-stream")
    response = await http.post("/webhooks/shopify", content=chunks(), headers=streamed)
    assert response.status_code == 413
    assert await events(db) == []


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe{}", b'{"total_price": NaN}', b"",
                                  b"[" * 100_000 + b"]" * 100_000])
async def test_invalid_json_is_400(intake, db, body) -> None:
    http, _ = intake
    response = await deliver(http, DOMAIN, "orders/create", body, "evt-bad")
    assert (response.status_code, response.json()["error"]) == (400, "INVALID_JSON")
    assert await events(db) == []


async def test_a_body_the_fast_parser_refuses_is_decided_by_parse_body(intake, db) -> None:
    http, _ = intake
    body = b'{"id": 4501, "admin_graphql_api_id": "gid://shopify/Order/4501", "note": "\\ud800"}'  # a lone
    # surrogate escape: valid JSON that orjson refuses and json accepts
    response = await deliver(http, DOMAIN, "orders/create", body, "evt-bigint")
    assert response.status_code == 200
    [event] = await events(db)
    assert event.resource_gid == "gid://shopify/Order/4501" and event.body == body.decode()


async def test_missing_topic_is_400(intake, db) -> None:
    http, _ = intake
    body = b"{}"
    hdrs = headers(DOMAIN, "orders/create", body, "evt-t")
    del hdrs["X-Shopify-Topic"]
    response = await http.post("/webhooks/shopify", content=body, headers=hdrs)
    assert (response.status_code, response.json()["error"]) == (400, "TOPIC_MISSING")


async def test_payload_missing_fields_is_stored_and_flagged(intake, db) -> None:
    http, shop_id = intake
    response = await deliver(http, DOMAIN, "orders/updated", {"id": 77, "line_items": [{"id": 1, "title": "x"}]},
                             None)
    assert response.status_code == 200
    outcomes = await ingest_pending(db, shop_id)
    assert outcomes == ["order applied"]
    event = (await events(db))[0]
    assert event.status == "processed" and event.event_id.startswith("webhook:")
    assert "X-Shopify-Event-Id header missing" in event.validation_issues
    assert "order.updated_at missing" in event.validation_issues
    assert await count(db, Order, shop_id, shopify_id="gid://shopify/Order/77") == 1


async def test_unmappable_body_is_marked_invalid_not_500(intake, db) -> None:
    http, shop_id = intake
    assert (await deliver(http, DOMAIN, "refunds/create", {"note": "no id"}, "evt-noid")).status_code == 200
    assert await ingest_pending(db, shop_id) == ["cannot map the body: refund has no id"]
    event = (await events(db))[0]
    assert (event.status, event.validation_issues[-1]) == ("invalid", "refund has no id")
    assert await count(db, Refund, shop_id) == 0


async def test_stale_order_delivery_is_counted_not_applied(intake, db) -> None:
    from app.commerce.models import StaleCounter

    http, shop_id = intake
    newer = {"id": 5, "updated_at": "2026-11-02T10:00:00Z", "note": "new", "currency": "USD", "line_items": []}
    older = {**newer, "updated_at": "2026-11-02T09:00:00Z", "note": "old"}
    await deliver(http, DOMAIN, "orders/updated", newer, "evt-new")
    await deliver(http, DOMAIN, "orders/updated", older, "evt-old")
    assert await ingest_pending(db, shop_id) == ["order applied", "order stale"]
    async with db.sessionmaker() as session:
        assert await session.scalar(select(Order.note).where(Order.shop_id == shop_id)) == "new"
        assert await session.scalar(select(StaleCounter.count).where(StaleCounter.shop_id == shop_id)) == 1


async def test_secret_is_per_shop(db, settings) -> None:
    await add_shop(db, settings, "one.myshopify.com", secret="secret-one")
    await add_shop(db, settings, "two.myshopify.com", secret="secret-two")
    async with client(intake_app(settings, db)) as http:
        ok = await deliver(http, "one.myshopify.com", "orders/create", {"id": 1}, "e1", secret="secret-one")
        wrong = await deliver(http, "two.myshopify.com", "orders/create", {"id": 1}, "e1", secret="secret-one")
    assert (ok.status_code, wrong.status_code) == (200, 401)


async def test_wrongly_typed_body_is_invalid_and_leaves_nothing_half_written(intake, db) -> None:
    http, shop_id = intake
    body = {"id": 9, "updated_at": "2026-11-02T10:00:00Z", "line_items": "not a list",
            "refunds": [{"id": 1, "order_id": 9, "refund_line_items": [{"quantity": "many"}]}]}
    assert (await deliver(http, DOMAIN, "orders/updated", body, "evt-typed")).status_code == 200
    [outcome] = await ingest_pending(db, shop_id)
    assert outcome.startswith("cannot map the body: ")
    assert (await events(db))[0].status == "invalid"
    assert await count(db, Order, shop_id) == 0 and await count(db, Refund, shop_id) == 0


async def test_concurrent_deliveries_group_commit_and_dedupe_within_a_batch(intake, db) -> None:
    import asyncio

    http, _ = intake
    bodies = [({"id": n, "updated_at": "2026-11-02T10:00:00Z"}, f"evt-{n % 10}") for n in range(40)]
    responses = await asyncio.gather(*(deliver(http, DOMAIN, "orders/updated", body, event_id)
                                       for body, event_id in bodies))
    statuses = [r.json()["status"] for r in responses]
    assert all(r.status_code == 200 for r in responses)
    assert (statuses.count("stored"), statuses.count("already received")) == (10, 30)
    assert sorted(e.event_id for e in await events(db)) == sorted(f"evt-{n}" for n in range(10))
    assert await outbox_count(db, "shopify.ingest_event") == 10
