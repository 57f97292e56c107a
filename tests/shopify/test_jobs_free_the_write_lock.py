"""The connector's jobs never hold SQLite's write lock while they talk to Shopify.

Webhook intake needs that lock and Shopify gives a delivery 5 s: with the lock held through a sync's throttled
pages, webhooks waited about 6 s each. Here every request the jobs send (GraphQL, polls, the bulk download) first
checks, from another connection and without waiting, that the write lock is free.
"""

from __future__ import annotations

import httpx
import pytest

import app.shopify.tasks  # noqa: F401  (registers the jobs)
from app.commerce.models import Order
from app.shopify import sync
from app.shopify.models import ShopifyBulkRun
from app.shopify.sandbox import generate_store
from app.shopify.tasks import start_backfill, start_sync
from app.shops.models import Shop
from tests.conftest import sqlite_path, sqlite_write_lock_free
from tests.shopify.test_sync_support import SANDBOX_BASE, _isolated_connector, bind_shop, count, run_jobs, sandbox_app

__all__ = ["_isolated_connector"]


class LockChecking(httpx.AsyncBaseTransport):
    """The sandbox in process; before each request, whether another connection could take the write lock."""

    def __init__(self, app, database_path: str) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.database_path = database_path
        self.lock_free: list[tuple[str, bool]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.lock_free.append((request.url.path, sqlite_write_lock_free(self.database_path)))
        return await self.inner.handle_async_request(request)


@pytest.fixture
def database_path(db) -> str:
    path = sqlite_path(db)
    if path is None:
        pytest.skip("SQLite's single write lock only")
    return path


def _check_requests(app, database_path: str) -> LockChecking:
    transport = LockChecking(app, database_path)
    sync.http_factory = lambda: httpx.AsyncClient(transport=transport, base_url=SANDBOX_BASE, timeout=60)
    return transport


async def test_a_sync_holds_no_write_lock_while_asking_shopify(db, settings, database_path) -> None:
    store = generate_store(seed=71, orders=8, plan="standard")  # the Standard bucket makes the client wait
    app = sandbox_app(store, plan="standard")
    transport = _check_requests(app, database_path)
    bound = await bind_shop(db, settings, store, app)
    async with db.unit_of_work() as session:
        start_sync(session, await session.get(Shop, bound.shop_id))
    assert set(await run_jobs(db, settings)) == {"shopify.sync_shop"}
    assert await count(db, Order, Order.shop_id == bound.shop_id) == 8
    assert len(transport.lock_free) > 3
    assert [path for path, free in transport.lock_free if not free] == []


async def test_a_backfill_holds_no_write_lock_while_polling_or_downloading(db, settings, database_path,
                                                                          monkeypatch) -> None:
    monkeypatch.setattr(app.shopify.tasks, "ingest_limits", app.shopify.bulk.SliceLimits(max_orders=40))
    store = generate_store(seed=72, orders=150, plan="plus")
    sandbox = sandbox_app(store)
    transport = _check_requests(sandbox, database_path)
    bound = await bind_shop(db, settings, store, sandbox)
    async with db.unit_of_work() as session:
        await start_backfill(session, await session.get(Shop, bound.shop_id))
    jobs = await run_jobs(db, settings)
    assert jobs.count("shopify.bulk_ingest") >= 4  # 150 orders, 40 a slice
    assert await count(db, ShopifyBulkRun, ShopifyBulkRun.status == "done") == 1
    assert await count(db, Order, Order.shop_id == bound.shop_id) == 150
    downloads = [free for path, free in transport.lock_free if not path.endswith("graphql.json")]
    assert len(downloads) >= 4
    assert [path for path, free in transport.lock_free if not free] == []
