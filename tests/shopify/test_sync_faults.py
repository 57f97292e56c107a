"""The connector under the sandbox's injected faults: 5xx and 429 with Retry-After, a Standard-plan bucket drained by
another client (we wait rather than get refused), and a bulk operation that fails mid-way (the next backfill
completes)."""

from __future__ import annotations

import httpx
from sqlalchemy import select

import app.shopify.tasks  # noqa: F401
from app.commerce.models import Order
from app.shopify import sync
from app.shopify.client import load_document
from app.shopify.models import ShopifyBulkRun
from app.shopify.sandbox import generate_store
from app.shopify.sandbox.faults import FaultPlan
from app.shopify.tasks import start_backfill, start_sync
from app.shops.models import Shop
from tests.shopify.test_sync_support import (
    SANDBOX_BASE,
    _isolated_connector,
    bind_shop,
    count,
    run_jobs,
    sandbox_app,
    use_sandbox,
)

__all__ = ["_isolated_connector"]


async def _start(db, bound, backfill: bool = False) -> None:
    async with db.unit_of_work() as session:
        shop = await session.get(Shop, bound.shop_id)
        if backfill:
            await start_backfill(session, shop)
        else:
            start_sync(session, shop)


async def test_sync_rides_out_5xx_and_429(db, settings) -> None:
    store = generate_store(seed=61, orders=8, plan="plus")
    faults = FaultPlan(fail_every=3, throttle_every=5, retry_after=0.01)
    app = sandbox_app(store, faults=faults)
    use_sandbox(app)
    bound = await bind_shop(db, settings, store, app)
    await _start(db, bound)
    assert await run_jobs(db, settings) == ["shopify.sync_shop"]  # one job, no failed attempt
    assert await count(db, Order, Order.shop_id == bound.shop_id) == 8
    assert faults.requests >= 15  # the faults really were served


class Counting(httpx.AsyncBaseTransport):
    def __init__(self, app) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.statuses: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.statuses.append(response.status_code)
        return response


async def test_sync_after_another_client_drained_a_standard_bucket_answering_429(db, settings) -> None:
    store = generate_store(seed=62, orders=4, plan="standard")
    app = sandbox_app(store, faults=FaultPlan(throttle_as_429=True), plan="standard")
    transport = Counting(app)
    sync.http_factory = lambda: httpx.AsyncClient(transport=transport, base_url=SANDBOX_BASE, timeout=60)
    bound = await bind_shop(db, settings, store, app)
    document = load_document("orders_updated_since")
    async with httpx.AsyncClient(transport=transport, base_url=SANDBOX_BASE) as other:  # another app's burst
        for _ in range(20):
            answer = await other.post("/admin/api/2026-10/graphql.json",
                                      headers={"X-Shopify-Access-Token": next(iter(store.tokens))},
                                      json={"query": document.text, "operationName": document.operation,
                                            "variables": {"first": 1, "query": ""}})
            if answer.status_code == 429:
                break
    assert transport.statuses[-1] == 429
    drained = len(transport.statuses)
    await _start(db, bound)
    # waiting for the bucket can push the sync past its 5 s slice on a loaded machine: a continuation slice is
    # fine, a failed attempt is not (run_jobs raises on one)
    assert set(await run_jobs(db, settings)) == {"shopify.sync_shop"}
    # the first cheap answer told our client how empty the bucket was: it waited instead of being refused
    assert 429 not in transport.statuses[drained:]
    assert await count(db, Order, Order.shop_id == bound.shop_id) == 4


async def test_bulk_operation_failing_midway_then_a_new_backfill_completes(db, settings) -> None:
    store = generate_store(seed=63, orders=80, plan="plus")
    faults = FaultPlan(bulk_fail_after=100)
    app = sandbox_app(store, faults=faults)
    use_sandbox(app)
    bound = await bind_shop(db, settings, store, app)
    await _start(db, bound, backfill=True)
    await run_jobs(db, settings)
    async with db.sessionmaker() as session:
        failed = (await session.execute(select(ShopifyBulkRun))).scalar_one()
    assert failed.status == "failed" and "FAILED" in failed.message

    faults.update({"bulk_fail_after": None})
    await _start(db, bound, backfill=True)
    await run_jobs(db, settings)
    async with db.sessionmaker() as session:
        runs = (await session.execute(select(ShopifyBulkRun).order_by(ShopifyBulkRun.created_at))).scalars().all()
    assert [r.status for r in runs] == ["failed", "done"]
    assert runs[1].roots_committed == 80
    assert await count(db, Order, Order.shop_id == bound.shop_id) == 80
