"""Helpers shared by the commerce and webhook tests: shops, signed deliveries, ingest, and a state hash."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from typing import Any

import httpx
from sqlalchemy import select
from starlette.applications import Starlette

from app.commerce import models as cm
from app.config import Settings
from app.db import Database
from app.security import SecretBox
from app.shopify.events import WebhookEvent
from app.shopify.ingest import ingest_event
from app.shopify.webhooks import routes, sign
from app.shops.service import create_shop

SECRET = "test-webhook-secret"
CANONICAL_TABLES = [
    cm.Order, cm.LineItem, cm.ShippingLine, cm.TaxLine, cm.Refund, cm.RefundLine, cm.RefundAdjustment,
    cm.Transaction, cm.Return, cm.ReturnLine, cm.Fulfillment, cm.FulfillmentLine, cm.FulfillmentOrder, cm.Payout,
    cm.BalanceTransaction, cm.InventoryLevel,
]
VOLATILE = {"created_at", "updated_at", "revision"}


async def add_shop(db: Database, settings: Settings, domain: str, secret: str | None = SECRET) -> uuid.UUID:
    async with db.unit_of_work() as session:
        shop = await create_shop(session, box=SecretBox.from_settings(settings), domain=domain,
                                 webhook_secret=secret, access_token="shpat_test")
        return shop.id


def intake_app(settings: Settings, db: Database) -> Starlette:
    """Only the webhook route, with the state attributes `create_app` provides."""
    app = Starlette(routes=routes())
    app.state.settings = settings
    app.state.database = db
    app.state.box = SecretBox.from_settings(settings)
    return app


def client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


def headers(domain: str, topic: str, body: bytes, event_id: str | None, *, secret: str = SECRET,
            triggered_at: str = "2026-11-01T00:00:00Z") -> dict[str, str]:
    out = {"X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": domain, "X-Shopify-Hmac-Sha256": sign(body, secret),
           "X-Shopify-API-Version": "2026-10", "X-Shopify-Triggered-At": triggered_at,
           "X-Shopify-Webhook-Id": f"wh-{event_id}", "Content-Type": "application/json"}
    if event_id is not None:
        out["X-Shopify-Event-Id"] = event_id
    return out


async def deliver(http: httpx.AsyncClient, domain: str, topic: str, body: bytes | dict, event_id: str | None,
                  **kwargs: Any) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await http.post("/webhooks/shopify", content=raw, headers=headers(domain, topic, raw, event_id, **kwargs))


async def ingest_pending(db: Database, shop_id: uuid.UUID, *, per_transaction: int = 1) -> list[str]:
    """Run the ingest for every received event of the shop, in arrival order (`per_transaction` events share one
    transaction; the job runs one per transaction, which tests that only care about order may batch)."""
    async with db.sessionmaker() as session:
        ids = list((await session.scalars(select(WebhookEvent.id).where(
            WebhookEvent.shop_id == shop_id, WebhookEvent.status == "received")
            .order_by(WebhookEvent.received_at))).all())
    outcomes = []
    for start in range(0, len(ids), per_transaction):
        async with db.unit_of_work() as session:
            for event_id in ids[start:start + per_transaction]:
                outcomes.append(await ingest_event(session, event_id))
    return outcomes


async def ingest_one(db: Database, shop_id: uuid.UUID, shopify_event_id: str) -> str:
    async with db.sessionmaker() as session:
        row_id = await session.scalar(select(WebhookEvent.id).where(
            WebhookEvent.shop_id == shop_id, WebhookEvent.event_id == shopify_event_id))
    assert row_id is not None
    async with db.unit_of_work() as session:
        return await ingest_event(session, row_id)


def _is_uuid(column: Any) -> bool:
    try:
        return column.type.python_type is uuid.UUID
    except NotImplementedError:
        return False


def _plain(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return value.isoformat() if hasattr(value, "isoformat") else value


async def state_hash(db: Database, shop_id: uuid.UUID, tables: Iterable[type] = CANONICAL_TABLES) -> str:
    """A digest of the shop's canonical rows, ignoring our own ids, timestamps and revision counters."""
    digest = hashlib.sha256()
    async with db.sessionmaker() as session:
        for model in tables:
            table = model.__table__
            columns = [c for c in table.columns if c.name not in VOLATILE and not _is_uuid(c)]
            rows = (await session.execute(select(*columns).where(table.c.shop_id == shop_id))).all()
            lines = sorted(repr(tuple(_plain(v) for v in row)) for row in rows)
            digest.update(f"{table.name}:{len(lines)}\n".encode())
            for line in lines:
                digest.update(line.encode() + b"\n")
    return digest.hexdigest()


async def count(db: Database, model: type, shop_id: uuid.UUID, **filters: Any) -> int:
    async with db.sessionmaker() as session:
        query = select(model).where(model.shop_id == shop_id)
        for name, value in filters.items():
            query = query.where(getattr(model, name) == value)
        return len((await session.scalars(query)).all())
