"""A fulfilment order's later state replaces the earlier one. The documents did not select its `updatedAt`, so every
version had none and the content-hash tie-break kept the earlier state for about half the fulfilment orders: their
remaining quantities (what the digital auto-fulfilment checks read) stayed as they were before a fulfilment."""

from __future__ import annotations

from sqlalchemy import select

import app.shopify.tasks  # noqa: F401  (registers the jobs)
from app.commerce.models import FulfillmentOrder
from app.shopify.sandbox import generate_store
from app.shopify.sandbox.lifecycle import create_fulfillment
from app.shopify.tasks import start_sync
from app.shops.models import Shop
from tests.shopify.test_sync_support import _isolated_connector, bind_shop, run_jobs, sandbox_app, use_sandbox

__all__ = ["_isolated_connector"]


async def _sync(db, settings, shop_id) -> None:
    async with db.unit_of_work() as session:
        start_sync(session, await session.get(Shop, shop_id))
    await run_jobs(db, settings)


def _fulfil_everything(order: dict, at) -> None:
    items = [(line, line["_fo_line"]["remainingQuantity"]) for line in order["lineItems"]
             if line.get("_fo_line") and line["_fo_line"]["remainingQuantity"] > 0]
    create_fulfillment(order, items, [], at)


async def test_a_sync_after_a_fulfilment_stores_the_fulfilment_orders_new_state(db, settings) -> None:
    store = generate_store(seed=86, orders=40, plan="plus")
    app = sandbox_app(store)
    use_sandbox(app)
    shop_id = (await bind_shop(db, settings, store, app)).shop_id
    await _sync(db, settings, shop_id)
    open_orders = [index for index in range(40) if any(
        fo["status"] == "OPEN" for fo in store.order(index)["fulfillmentOrders"])][:8]
    assert len(open_orders) >= 4
    for index in open_orders:
        store.change_order(index, _fulfil_everything, [])
    await _sync(db, settings, shop_id)
    expected = {fo["id"]: (fo["status"].lower(), [line["remainingQuantity"] for line in fo["lineItems"]])
                for index in open_orders for fo in store.order(index)["fulfillmentOrders"]}
    async with db.sessionmaker() as session:
        rows = (await session.execute(select(FulfillmentOrder.shopify_id, FulfillmentOrder.status,
                                             FulfillmentOrder.lines)
                                      .where(FulfillmentOrder.shopify_id.in_(list(expected))))).all()
    assert {gid: (status, [line["remaining"] for line in lines]) for gid, status, lines in rows} == expected
    assert all(status == "closed" for status, _ in expected.values())
