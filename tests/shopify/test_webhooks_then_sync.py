"""A webhook and a sync of the same version end in the same state, in either order, and equal a sync alone.

A REST body carries fewer facts than an Admin GraphQL read of the same `updatedAt` (no HS codes, fulfilment-line ids,
display status, refund total, shop-currency amount of a foreign-currency transaction). Before, the content-hash
tie-break kept the webhook's version of a fulfilment, refund or transaction about half the time, and a refund's
transactions, read as bare ids by the sync, were recorded as stale deliveries on every later sync."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select

import app.shopify.tasks  # noqa: F401  (registers the jobs)
from app.commerce.models import Fulfillment, FulfillmentLine, Order, Refund, StaleDelivery, Transaction
from app.security import SecretBox
from app.shopify.sandbox import generate_store
from app.shopify.sandbox.rest import body_for
from app.shopify.tasks import start_sync
from app.shops.models import Shop
from app.shops.service import create_shop
from tests.commerce.support import SECRET, client, count, deliver, ingest_pending, intake_app, state_hash
from tests.shopify.test_sync_support import SANDBOX_BASE, _isolated_connector, run_jobs, sandbox_app, use_sandbox

__all__ = ["_isolated_connector"]
ORDERS = 60


async def _shops(db, settings, seed: int, names: tuple[str, ...]):
    store = generate_store(seed=seed, orders=ORDERS, plan="plus")
    use_sandbox(sandbox_app(store))
    ids = []
    for name in names:
        async with db.unit_of_work() as session:
            shop = await create_shop(session, box=SecretBox.from_settings(settings), domain=f"{name}.myshopify.com",
                                     access_token=next(iter(store.tokens)), webhook_secret=SECRET,
                                     api_url=SANDBOX_BASE)
            ids.append(shop.id)
    return store, ids


async def _sync(db, settings, shop_id: uuid.UUID) -> None:
    async with db.unit_of_work() as session:
        start_sync(session, await session.get(Shop, shop_id))
    await run_jobs(db, settings)


async def _webhooks(db, settings, store, shop_id: uuid.UUID, domain: str, tag: str) -> list[str]:
    """An `orders/updated` body for every order as it is now, received and ingested."""
    async with client(intake_app(settings, db)) as http:
        for index in range(ORDERS):
            body = json.loads(json.dumps(body_for("orders/updated", store.order(index)), default=str))
            response = await deliver(http, domain, "orders/updated", body, f"{tag}-{index}")
            assert response.status_code == 200
    return await ingest_pending(db, shop_id)


def _has_the_disputed_facts(store) -> None:
    """The store holds what the two shapes disagree on, or the test would prove nothing."""
    orders = [store.order(index) for index in range(ORDERS)]
    assert sum(len(order["fulfillments"]) for order in orders) >= 10
    assert sum(len(refund["transactions"]) for order in orders for refund in order["refunds"]) >= 3


async def test_webhooks_then_a_sync_leave_what_a_sync_alone_leaves(db, settings) -> None:
    store, (hooked, synced) = await _shops(db, settings, seed=81, names=("hooked", "synced"))
    _has_the_disputed_facts(store)
    await _webhooks(db, settings, store, hooked, "hooked.myshopify.com", "first")
    nameless = await count(db, FulfillmentLine, hooked, shopify_id=None)
    assert nameless > 0  # a REST fulfilment line has no id of its own
    await _sync(db, settings, hooked)
    await _sync(db, settings, synced)
    assert await state_hash(db, hooked) == await state_hash(db, synced)
    assert await count(db, FulfillmentLine, hooked, shopify_id=None) == 0
    assert await count(db, Fulfillment, hooked, display_status=None) == 0
    assert await count(db, Refund, hooked, total_refunded_minor=None) == 0
    async with db.sessionmaker() as session:  # protected customer data: both shapes carry it (an invoice needs it)
        names = (await session.execute(select(Order.email, Order.shipping_address).where(
            Order.shop_id == synced))).all()
    assert all(email and address.get("last_name") for email, address in names if address)


async def test_webhooks_after_a_sync_of_the_same_versions_change_nothing(db, settings) -> None:
    store, (shop_id,) = await _shops(db, settings, seed=82, names=("late",))
    await _sync(db, settings, shop_id)
    before = await state_hash(db, shop_id)
    outcomes = await _webhooks(db, settings, store, shop_id, "late.myshopify.com", "late")
    assert await state_hash(db, shop_id) == before
    assert not any("applied" in outcome for outcome in outcomes), outcomes
    assert await count(db, StaleDelivery, shop_id) == 0


async def test_a_refunds_transactions_keep_their_refund_and_a_second_sync_records_nothing_stale(db, settings) -> None:
    store, (shop_id,) = await _shops(db, settings, seed=83, names=("twice",))
    refunded = [tx["id"] for index in range(ORDERS) for refund in store.order(index)["refunds"]
                for tx in refund["transactions"]]
    assert refunded
    await _sync(db, settings, shop_id)
    for index in range(ORDERS):  # the second sync reads the refunded orders again
        if store.order(index)["refunds"]:
            store.change_order(index, lambda order, at: order.__setitem__("note", "changed"), [])
    await _sync(db, settings, shop_id)
    assert await count(db, StaleDelivery, shop_id) == 0
    async with db.sessionmaker() as session:
        linked = (await session.execute(select(Transaction.shopify_id).where(
            Transaction.shop_id == shop_id, Transaction.refund_gid.is_not(None)))).scalars().all()
    assert sorted(linked) == sorted(refunded)


async def test_a_newer_fulfilment_webhook_keeps_the_line_ids_and_the_sync_of_its_version_completes_it(
        db, settings) -> None:
    from app.shopify.sandbox.lifecycle import update_tracking

    store, (shop_id,) = await _shops(db, settings, seed=84, names=("tracked",))
    await _sync(db, settings, shop_id)
    index = next(i for i in range(ORDERS) if store.order(i)["fulfillments"])
    tracking = [{"company": "DHL Express", "number": "JD014600003SE", "url": None}]
    changed = store.change_order(index, lambda order, at: update_tracking(order, order["fulfillments"][0], tracking,
                                                                            at), [])
    fulfilment = changed["fulfillments"][0]
    lines = {fli["lineItem"]["id"]: fli["id"] for fli in fulfilment["fulfillmentLineItems"]}

    async with client(intake_app(settings, db)) as http:
        body = json.loads(json.dumps(body_for("fulfillments/update", fulfilment), default=str))
        assert (await deliver(http, "tracked.myshopify.com", "fulfillments/update", body, "t1")).status_code == 200
    assert await ingest_pending(db, shop_id) == ["fulfillment applied"]
    async with db.sessionmaker() as session:
        stored = (await session.execute(select(Fulfillment).where(Fulfillment.shopify_id == fulfilment["id"]))
                  ).scalar_one()
        kept = dict((await session.execute(select(FulfillmentLine.line_item_gid, FulfillmentLine.shopify_id).where(
            FulfillmentLine.fulfillment_id == stored.id))).all())
    assert stored.tracking_numbers == ["JD014600003SE"]  # the webhook's newer version was applied…
    assert kept == lines  # …and its lines kept the ids the sync had stored
    assert stored.display_status is None  # a REST body has no display status: the sync of its version adds it
    await _sync(db, settings, shop_id)
    async with db.sessionmaker() as session:
        status = (await session.execute(select(Fulfillment.display_status).where(
            Fulfillment.shopify_id == fulfilment["id"]))).scalar_one()
    assert status == "fulfilled"
