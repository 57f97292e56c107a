"""A backfill and a sync agree. Shopify's orders bulk file cannot carry fulfilment lines or refund order adjustments
(5 connections at most), so the fulfilments and refunds it gives are partial: they never replace what a complete
source stored for the same version, and a complete record of the same version always replaces them. (Before, the
content-hash tie-break kept the bulk file's fulfilment without its lines for about half the fulfilments.) The
backfill's later files (fulfilments, refunds, returns) complete them, so a backfill alone equals a sync alone."""

from __future__ import annotations

from sqlalchemy import select

import app.shopify.tasks  # noqa: F401  (registers the jobs)
from app.commerce.batch import decide, partial_digest
from app.commerce.models import FulfillmentLine, FulfillmentOrder, ReturnLine, StaleDelivery
from app.shopify.models import ShopifyBulkRun, ShopifySyncState
from app.shopify.sandbox import generate_store
from app.shopify.tasks import start_backfill, start_sync
from app.shops.models import Shop
from tests.commerce.support import state_hash
from tests.shopify.test_sync_support import _isolated_connector, bind_shop, count, run_jobs, sandbox_app, use_sandbox

__all__ = ["_isolated_connector"]


async def _backfill(db, settings, shop_id) -> None:
    async with db.unit_of_work() as session:
        await start_backfill(session, await session.get(Shop, shop_id))
    await run_jobs(db, settings)


async def _sync(db, settings, shop_id) -> None:
    async with db.unit_of_work() as session:
        start_sync(session, await session.get(Shop, shop_id))
    await run_jobs(db, settings)


async def _two_shops(db, settings, seed: int):
    store = generate_store(seed=seed, orders=60, plan="plus")
    app = sandbox_app(store)
    use_sandbox(app)
    first = await bind_shop(db, settings, store, app)
    second = await bind_shop(db, settings, store, app, domain="same-store-again.myshopify.com")
    return store, first.shop_id, second.shop_id


def _fulfilment_lines_in(store) -> int:
    return sum(len(fulfilment["fulfillmentLineItems"]) for index in range(store.profile.order_count)
               for fulfilment in store.order(index).get("fulfillments") or [])


async def test_a_backfill_alone_leaves_what_a_sync_alone_leaves(db, settings) -> None:
    """The orders file is partial; the fulfilments, fulfilment orders and refunds files, and the returns read order
    by order, complete it."""
    store, backfilled, synced = await _two_shops(db, settings, seed=81)
    await _backfill(db, settings, backfilled)
    await _sync(db, settings, synced)
    assert await state_hash(db, backfilled) == await state_hash(db, synced)
    lines = await count(db, FulfillmentLine, FulfillmentLine.shop_id == backfilled)
    assert lines == _fulfilment_lines_in(store) > 0
    async with db.sessionmaker() as session:
        run = (await session.execute(select(ShopifyBulkRun))).scalar_one()
    assert (run.status, run.phase, run.roots_committed, run.orders_applied) == ("done", "return_lines", 60, 60)
    orders = [store.order(index) for index in range(60)]
    assert await count(db, ReturnLine, ReturnLine.shop_id == backfilled) == sum(
        len(item["returnLineItems"]) for order in orders for item in order["returns"]) > 0
    assert await count(db, FulfillmentOrder, FulfillmentOrder.shop_id == backfilled) == sum(
        len(order["fulfillmentOrders"]) for order in orders)


async def test_the_first_sync_after_a_backfill_reads_only_the_orders_changed_since(db, settings) -> None:
    """Before, the first sync re-read every order to fill in what the orders file lacks: about 1 order a second on
    the Standard plan, 14 hours for a 50k-order store."""
    store, backfilled, synced = await _two_shops(db, settings, seed=85)
    await _backfill(db, settings, backfilled)
    for index in (3, 17):
        store.change_order(index, lambda order, at: order.__setitem__("note", "changed after the backfill"), [])
    await _sync(db, settings, backfilled)
    async with db.sessionmaker() as session:
        state = await session.get(ShopifySyncState, backfilled)
    assert state.last_sync_orders == 2
    await _sync(db, settings, synced)
    assert await state_hash(db, backfilled) == await state_hash(db, synced)


async def test_a_backfill_after_a_sync_changes_nothing(db, settings) -> None:
    _, shop_id, _ = await _two_shops(db, settings, seed=82)
    await _sync(db, settings, shop_id)
    before = await state_hash(db, shop_id)
    await _backfill(db, settings, shop_id)
    assert await state_hash(db, shop_id) == before
    assert await count(db, StaleDelivery, StaleDelivery.shop_id == shop_id) == 0
    async with db.sessionmaker() as session:
        run = (await session.execute(select(ShopifyBulkRun))).scalar_one()
    assert (run.status, run.orders_applied, run.orders_unchanged) == ("done", 0, 60)


def test_between_deliveries_of_one_version_the_complete_one_wins() -> None:
    at = None
    complete, other = "b" * 64, "a" * 64
    partial = partial_digest("f" * 64)
    assert decide(at, complete, at, partial) == "unchanged"  # nothing to add; no stale event either
    assert decide(at, partial, at, complete) == "applied"
    assert decide(at, partial, at, partial_digest("0" * 64)) == "stale"  # two partial ones: the usual tie-break
    assert decide(at, complete, at, other) == "stale" and decide(at, other, at, complete) == "applied"


async def test_in_one_batch_a_partial_newer_version_keeps_the_lines_of_the_complete_one(db, settings) -> None:
    from datetime import UTC, datetime

    from app.commerce.batch import apply_batch
    from app.commerce.models import Fulfillment
    from app.commerce.records import FulfillmentLineRecord, FulfillmentRecord
    from app.commerce.service import FULFILLMENT_CHILDREN, fulfillment_delivery
    from tests.commerce.support import add_shop

    shop_id = await add_shop(db, settings, "batch-partial.myshopify.com")

    def version(day: int, status: str, lines: int, partial: bool) -> FulfillmentRecord:
        return FulfillmentRecord(
            shopify_id="gid://shopify/Fulfillment/9", order_id="gid://shopify/Order/9", status=status,
            updated_at=datetime(2026, 11, day, tzinfo=UTC), partial=partial,
            lines=tuple(FulfillmentLineRecord(f"gid://shopify/FulfillmentLineItem/{n}",
                                              f"gid://shopify/LineItem/{n}", 1) for n in range(lines)))

    for batch in ([version(1, "open", 1, False)],  # stored: one line
                  [version(2, "success", 3, False), version(3, "success", 0, True)]):
        async with db.unit_of_work() as session:
            await apply_batch(session, Fulfillment, shop_id,
                              [fulfillment_delivery(shop_id, record, "test") for record in batch],
                              FULFILLMENT_CHILDREN)
    async with db.sessionmaker() as session:
        stored = (await session.execute(select(Fulfillment).where(Fulfillment.shop_id == shop_id))).scalar_one()
    assert (stored.status, stored.source_updated_at.day, stored.revision) == ("success", 3, 3)
    assert await count(db, FulfillmentLine, FulfillmentLine.shop_id == shop_id) == 3  # day 2's lines, not day 1's


def test_every_phase_name_fits_its_column() -> None:
    """SQLite does not enforce VARCHAR lengths; PostgreSQL refused `fulfillment_orders` in a String(16)."""
    from app.shopify.bulk import PHASES

    assert max(len(phase) for phase in PHASES) <= ShopifyBulkRun.__table__.c.phase.type.length


async def test_a_token_revoked_before_the_return_lines_marks_the_shop_and_ends_the_run(db, settings) -> None:
    store, shop_id, _ = await _two_shops(db, settings, seed=87)
    async with db.unit_of_work() as session:
        await start_backfill(session, await session.get(Shop, shop_id))
    for _ in range(200):  # the bulk files, one job at a time, until the return lines are next
        await run_jobs(db, settings, limit=1)
        async with db.sessionmaker() as session:
            run = (await session.execute(select(ShopifyBulkRun))).scalar_one()
        if run.phase == "return_lines":
            break
    assert run.phase == "return_lines" and run.status == "ingesting"
    store.tokens.clear()  # the merchant uninstalled the app, or the token expired
    await run_jobs(db, settings)
    async with db.sessionmaker() as session:
        run = (await session.execute(select(ShopifyBulkRun))).scalar_one()
        shop = await session.get(Shop, shop_id)
    assert (run.status, shop.needs_reauth) == ("failed", True)
    assert "expired or was revoked" in run.message


def test_a_read_of_the_previous_file_never_fits_the_next_phase() -> None:
    """Each phase's file starts at offset 0: a late delivery of a job that read the orders file at offset 0 must not
    be stored into the fulfilments phase (it would move that phase's resume point to the orders file's end)."""
    from app.shopify.bulk import ReadSlice, fits

    run = ShopifyBulkRun(phase="fulfillments", bytes_committed=0)
    assert not fits(ReadSlice(0, "orders"), run)
    assert fits(ReadSlice(0, "fulfillments"), run) and not fits(ReadSlice(512, "fulfillments"), run)
