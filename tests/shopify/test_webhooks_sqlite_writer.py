"""The SQLite intake writer: waits for another connection's write lock (polling), gives up after its bound, and
never answers 200 before the event and its outbox row are committed."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import pytest
from sqlalchemy import func, select

from app.jobs.models import OutboxMessage
from app.shopify import event_store
from app.shopify.events import WebhookEvent
from tests.commerce.support import add_shop, client, deliver, intake_app

DOMAIN = "writer-shop.myshopify.com"
BODY = {"id": 4242, "updated_at": "2026-11-02T10:00:00Z"}


@pytest.fixture
def sqlite_path(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the inline sqlite3 writer exists on SQLite only")
    return db.engine.url.database


def hold_write_lock(path: str, seconds: float, released: dict[str, float]) -> threading.Thread:
    """Another connection (as the job worker would) takes the write lock for `seconds`."""
    taken = threading.Event()

    def run() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        taken.set()
        time.sleep(seconds)
        released["at"] = time.monotonic()
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=run)
    thread.start()
    taken.wait(5)
    return thread


async def stored_counts(db) -> tuple[int, int]:
    async with db.sessionmaker() as session:
        events = await session.scalar(select(func.count()).select_from(WebhookEvent))
        jobs = await session.scalar(select(func.count()).select_from(OutboxMessage))
    return int(events or 0), int(jobs or 0)


async def test_delivery_waits_for_the_write_lock_then_stores(db, settings, sqlite_path) -> None:
    await add_shop(db, settings, DOMAIN)
    released: dict[str, float] = {}
    async with client(intake_app(settings, db)) as http:
        holder = hold_write_lock(sqlite_path, 0.3, released)
        response = await deliver(http, DOMAIN, "orders/updated", BODY, "evt-locked")
        answered = time.monotonic()
        await asyncio.to_thread(holder.join)
    assert (response.status_code, response.json()["status"]) == (200, "stored")
    assert answered >= released["at"]
    assert await stored_counts(db) == (1, 1)


async def test_lock_held_past_the_bound_fails_the_delivery_and_stores_nothing(db, settings, sqlite_path,
                                                                             monkeypatch) -> None:
    monkeypatch.setattr(event_store, "LOCK_WAIT_SECONDS", 0.1)
    await add_shop(db, settings, DOMAIN)
    released: dict[str, float] = {}
    async with client(intake_app(settings, db)) as http:
        holder = hold_write_lock(sqlite_path, 0.6, released)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await deliver(http, DOMAIN, "orders/updated", BODY, "evt-timeout")
        await asyncio.to_thread(holder.join)
        assert await stored_counts(db) == (0, 0)
        retry = await deliver(http, DOMAIN, "orders/updated", BODY, "evt-timeout")
    assert (retry.status_code, retry.json()["status"]) == (200, "stored")
    assert await stored_counts(db) == (1, 1)
