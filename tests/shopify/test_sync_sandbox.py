"""Incremental sync against the sandbox store: full first sync, then exactly the changed orders; webhooks re-created;
401 marks the shop."""

from __future__ import annotations

from datetime import timedelta

import app.shopify.tasks  # noqa: F401  (registers the jobs)
from app.commerce.models import Order
from app.shopify.models import ShopifySyncState
from app.shopify.sandbox import generate_store
from app.shopify.sync import WANTED_TOPICS, webhook_url
from app.shopify.tasks import start_sync
from app.shops.models import Shop
from tests.shopify.test_sync_support import _isolated_connector, bind_shop, count, run_jobs, sandbox_app, use_sandbox

__all__ = ["_isolated_connector"]


async def _sync(db, settings, bound, since=None) -> list[str]:
    async with db.unit_of_work() as session:
        shop = await session.get(Shop, bound.shop_id)
        start_sync(session, shop, since)
    return await run_jobs(db, settings)


async def test_first_sync_then_exactly_the_changed_orders(db, settings) -> None:
    store = generate_store(seed=21, orders=15, plan="plus")
    app = sandbox_app(store)
    use_sandbox(app)
    bound = await bind_shop(db, settings, store, app, tax_profile={"established": "DE", "digital_auto_fulfill": False})

    await _sync(db, settings, bound)
    assert await count(db, Order, Order.shop_id == bound.shop_id) == 15
    async with db.sessionmaker() as session:
        state = await session.get(ShopifySyncState, bound.shop_id)
        first_watermark = state.orders_watermark
    assert first_watermark is not None and state.last_sync_finished_at is not None
    assert {s["topic"] for s in store.subscriptions.values() if s.get("uri") == webhook_url(settings)} >= {
        "ORDERS_CREATE", "FULFILLMENTS_CREATE", "FULFILLMENTS_UPDATE"}

    changed = [2, 7, 11]
    for index in changed:
        store.change_order(index, lambda order, at: order.__setitem__("note", "changed by the test"),
                           ["orders/updated"])
    await _sync(db, settings, bound)
    async with db.sessionmaker() as session:
        from sqlalchemy import select
        rows = (await session.execute(select(Order.shopify_id, Order.note).where(
            Order.shop_id == bound.shop_id, Order.note == "changed by the test"))).all()
        state = await session.get(ShopifySyncState, bound.shop_id)
    assert sorted(r.shopify_id for r in rows) == sorted(store.order(i)["id"] for i in changed)
    assert state.orders_watermark > first_watermark
    assert await count(db, Order, Order.shop_id == bound.shop_id) == 15


async def test_missing_webhooks_are_recreated_by_sync(db, settings) -> None:
    store = generate_store(seed=22, orders=3, plan="plus")
    app = sandbox_app(store)
    use_sandbox(app)
    bound = await bind_shop(db, settings, store, app)
    await _sync(db, settings, bound)
    ours = [k for k, s in store.subscriptions.items() if s.get("uri") == webhook_url(settings)]
    assert len(ours) == len(WANTED_TOPICS)
    for key in ours[-2:]:  # (the sandbox numbers new subscriptions by count)
        del store.subscriptions[key]
    await _sync(db, settings, bound, since=None)
    assert len([s for s in store.subscriptions.values() if s.get("uri") == webhook_url(settings)]) == len(
        WANTED_TOPICS)


async def test_revoked_token_marks_the_shop_for_reauthorisation(db, settings) -> None:
    store = generate_store(seed=23, orders=3, plan="plus")
    app = sandbox_app(store)
    use_sandbox(app)
    bound = await bind_shop(db, settings, store, app, token="shpat_revoked_or_expired")
    await _sync(db, settings, bound)
    async with db.sessionmaker() as session:
        shop = await session.get(Shop, bound.shop_id)
    assert shop.needs_reauth is True
    assert "expired or was revoked" in shop.reauth_reason
    assert await count(db, Order, Order.shop_id == bound.shop_id) == 0


def test_overlap_window_is_five_minutes() -> None:
    from app.shopify.sync import OVERLAP

    assert OVERLAP == timedelta(minutes=5)


async def test_deleted_product_never_fails_its_order(db, settings) -> None:
    """Order 0 of this store sells a product deleted since (variant and product null): it syncs like any other."""
    from sqlalchemy import select

    from app.commerce.models import LineItem

    store = generate_store(seed=11, orders=6, plan="plus")
    assert any(line["variant"] is None for line in store.order(0)["lineItems"])
    app = sandbox_app(store)
    use_sandbox(app)
    bound = await bind_shop(db, settings, store, app)
    await _sync(db, settings, bound)
    assert await count(db, Order, Order.shop_id == bound.shop_id) == 6
    async with db.sessionmaker() as session:
        order_id = (await session.execute(select(Order.id).where(
            Order.shopify_id == store.order(0)["id"]))).scalar_one()
        lines = (await session.execute(select(LineItem.variant_gid, LineItem.sku).where(
            LineItem.order_id == order_id))).all()
    assert len(lines) == len(store.order(0)["lineItems"])
    assert any(line.variant_gid is None for line in lines)
