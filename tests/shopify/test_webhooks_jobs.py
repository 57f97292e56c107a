"""Intake → outbox → the real job runtime (StubBroker + in-process worker) → canonical records, exactly once."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from app.commerce.models import Order, Refund, Transaction
from app.db import Database
from app.jobs import JobRuntime, wait_for
from app.jobs.models import OutboxMessage
from app.shopify.events import WebhookEvent
from app.shopify.mapping import parse_body
from tests.commerce.support import add_shop, client, count, deliver, intake_app
from tests.conftest import make_settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "shopify"
DOMAIN = "jobs-shop.myshopify.com"


async def test_deliveries_are_ingested_by_the_job_runtime(database_url) -> None:
    settings = make_settings(database_url, job_min_backoff_ms=10, job_max_backoff_ms=50, job_max_retries=3,
                             outbox_sweep_interval_seconds=0.1)
    database = Database.from_settings(settings)
    runtime = JobRuntime.from_settings(settings, database)
    await runtime.start(embedded_worker=True)
    try:
        shop_id = await add_shop(database, settings, DOMAIN)
        order = parse_body(FIXTURES.joinpath("SYNTHETIC-eu-de-vat-taxes-included-with-digital-line.json")
                           .read_bytes())["order"]
        body = json.dumps(order, default=str)
        async with client(intake_app(settings, database)) as http:
            for event_id in ("evt-a", "evt-a", "evt-b"):
                response = await deliver(http, DOMAIN, "orders/create", body.encode(), event_id)
                assert response.status_code == 200
            refund = {"id": 77, "order_id": 1000000000001, "created_at": "2026-03-03T10:00:00Z",
                      "refund_line_items": [], "transactions": [{"id": 88, "kind": "refund", "status": "success",
                                                                 "amount": "11.90", "currency": "EUR",
                                                                 "created_at": "2026-03-03T10:00:00Z"}]}
            assert (await deliver(http, DOMAIN, "refunds/create", refund, "evt-r")).status_code == 200
        async with database.sessionmaker() as session:
            ids = list((await session.scalars(select(OutboxMessage.id).where(
                OutboxMessage.name == "shopify.ingest_event"))).all())
        assert len(ids) == 3
        status = await wait_for(database, ids, timeout=30)
        assert status["finished"], status
        async with database.sessionmaker() as session:
            statuses = sorted((await session.scalars(select(WebhookEvent.status))).all())
            outcomes = sorted((await session.scalars(select(WebhookEvent.outcome))).all())
        assert statuses == ["processed", "processed", "processed"]
        assert outcomes == ["order applied", "order unchanged", "refund applied"]
        assert await count(database, Order, shop_id) == 1 and await count(database, Refund, shop_id) == 1
        assert await count(database, Transaction, shop_id, amount_pres_minor=1190) == 1
    finally:
        await runtime.stop()
        await database.dispose()
