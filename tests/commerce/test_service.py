"""Upserts: idempotent, newer-wins, stale counted, children replaced whole, few statements, tenancy."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, select

from app.commerce import audit, service
from app.commerce.models import (
    BalanceTransaction, LineItem, Order, Payout, Refund, RefundLine, Return, ReturnLine, ShippingLine, StaleCounter,
    StaleDelivery, TaxLine, Transaction,
)
from app.commerce.records import ReturnLineRecord
from app.shopify.mapping import (
    balance_transaction_from_rest, order_from_webhook, parse_body, payout_from_rest, refund_from_webhook,
    return_from_webhook,
)
from tests.commerce.support import add_shop, count

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "shopify"


def fixture(name: str) -> dict:
    return parse_body(FIXTURES.joinpath(name).read_bytes())


def eu_order():
    return order_from_webhook(fixture("SYNTHETIC-eu-de-vat-taxes-included-with-digital-line.json")["order"])


async def test_new_order_is_stored_in_minor_units_with_all_tax_lines(db, settings) -> None:
    shop = await add_shop(db, settings, "eu-shop.myshopify.com")
    async with db.unit_of_work() as session:
        result = await service.upsert_order(session, shop, eu_order())
    assert result.status == "applied"
    async with db.sessionmaker() as session:
        order = await session.scalar(select(Order).where(Order.shop_id == shop))
        taxes = (await session.scalars(select(TaxLine).where(TaxLine.order_id == order.id))).all()
        lines = (await session.scalars(select(LineItem).where(LineItem.order_id == order.id)
                                       .order_by(LineItem.position))).all()
    assert (order.total_price_minor, order.total_tax_minor, order.total_shipping_minor) == (13685, 2185, 595)
    assert order.currency == "EUR" and order.taxes_included is True and order.customer_tax_id == "DE000000000"
    assert sorted((t.scope, t.amount_minor, t.rate) for t in taxes) == [
        ("line", 190, "0.19"), ("line", 1900, "0.19"), ("order", 2185, "0.19"), ("shipping", 95, "0.19")]
    assert [(line.sku, line.requires_shipping, line.unit_price_minor) for line in lines] == [
        ("HOOD-M", True, 5950), ("EBOOK-1", False, 1190)]
    line_taxes = {t.line_item_id: t.amount_minor for t in taxes if t.scope == "line"}
    assert line_taxes == {lines[0].id: 1900, lines[1].id: 190}


async def test_same_delivery_twice_is_unchanged(db, settings) -> None:
    shop = await add_shop(db, settings, "eu-shop.myshopify.com")
    record = eu_order()
    async with db.unit_of_work() as session:
        first = await service.upsert_order(session, shop, record)
    async with db.unit_of_work() as session:
        second = await service.upsert_order(session, shop, record)
    assert (first.status, second.status, first.id) == ("applied", "unchanged", second.id)
    assert await count(db, LineItem, shop) == 2 and await count(db, StaleDelivery, shop) == 0


async def test_older_version_is_counted_stale_and_not_applied(db, settings) -> None:
    shop = await add_shop(db, settings, "eu-shop.myshopify.com")
    record = eu_order()
    older = replace(record, updated_at=record.updated_at - timedelta(minutes=5), note="old note")
    async with db.unit_of_work() as session:
        await service.upsert_order(session, shop, record)
    for _ in range(2):
        async with db.unit_of_work() as session:
            result = await service.upsert_order(session, shop, older, source="webhook:e-old")
        assert result.status == "stale"
    async with db.sessionmaker() as session:
        note = await session.scalar(select(Order.note).where(Order.shop_id == shop))
        counter = await session.scalar(select(StaleCounter.count).where(StaleCounter.shop_id == shop,
                                                                        StaleCounter.kind == "order"))
        stale = (await session.scalars(select(StaleDelivery).where(StaleDelivery.shop_id == shop))).all()
    assert note is None and counter == 2 and len(stale) == 2
    async with db.sessionmaker() as session:
        assert await audit.stale_counts(session, shop) == {"order": 2}
        shown = await audit.stale_events(session, shop)
    assert [(e["kind"], e["record_kind"], e["shopify_id"]) for e in shown] == [
        ("STALE_EVENT", "order", record.shopify_id)] * 2
    assert stale[0].source == "webhook:e-old" and stale[0].incoming_version_at == older.updated_at
    assert stale[0].stored_version_at == record.updated_at


async def test_newer_version_replaces_children_as_a_whole(db, settings) -> None:
    shop = await add_shop(db, settings, "eu-shop.myshopify.com")
    record = eu_order()
    newer = replace(record, updated_at=record.updated_at + timedelta(minutes=1), line_items=record.line_items[:1],
                    shipping_lines=())
    async with db.unit_of_work() as session:
        await service.upsert_order(session, shop, record)
    async with db.unit_of_work() as session:
        result = await service.upsert_order(session, shop, newer)
    assert result.status == "applied"
    assert await count(db, LineItem, shop) == 1 and await count(db, ShippingLine, shop) == 0
    assert sorted(t.scope for t in await _taxes(db, shop)) == ["line", "order"]
    async with db.sessionmaker() as session:
        assert await session.scalar(select(Order.revision).where(Order.shop_id == shop)) == 2


async def _taxes(db, shop):
    async with db.sessionmaker() as session:
        return (await session.scalars(select(TaxLine).where(TaxLine.shop_id == shop))).all()


async def test_same_version_different_content_settles_the_same_in_either_order(db, settings) -> None:
    shop_a = await add_shop(db, settings, "a-shop.myshopify.com")
    shop_b = await add_shop(db, settings, "b-shop.myshopify.com")
    one, two = eu_order(), replace(eu_order(), note="from GraphQL")
    for shop, sequence in ((shop_a, (one, two)), (shop_b, (two, one))):
        for record in sequence:
            async with db.unit_of_work() as session:
                await service.upsert_order(session, shop, record)
    async with db.sessionmaker() as session:
        notes = [await session.scalar(select(Order.note).where(Order.shop_id == s)) for s in (shop_a, shop_b)]
    winner = max((one, two), key=service.content_hash)
    assert notes == [winner.note, winner.note]


async def test_an_order_with_five_lines_is_a_handful_of_statements(db, settings) -> None:
    shop = await add_shop(db, settings, "eu-shop.myshopify.com")
    base = eu_order()
    five = replace(base, line_items=tuple(replace(base.line_items[0], shopify_id=f"gid://shopify/LineItem/{n}")
                                          for n in range(5)))
    statements: list[str] = []

    def count_statement(conn, cursor, statement, *args):  # noqa: ANN001
        statements.append(statement.split()[0].upper())

    event.listen(db.engine.sync_engine, "before_cursor_execute", count_statement)
    try:
        async with db.unit_of_work() as session:
            await service.upsert_order(session, shop, five)
        created = [s for s in statements if s in ("SELECT", "INSERT", "UPDATE", "DELETE")]
        statements.clear()
        async with db.unit_of_work() as session:
            await service.upsert_order(session, shop, replace(five, updated_at=five.updated_at + timedelta(seconds=1)))
        updated = [s for s in statements if s in ("SELECT", "INSERT", "UPDATE", "DELETE")]
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count_statement)
    assert created == ["SELECT", "INSERT", "INSERT", "INSERT", "INSERT"]
    # a webhook's order (this one) also reads the stored lines' inventory facts, which it cannot carry itself
    assert updated == ["SELECT", "UPDATE", "SELECT", "DELETE", "DELETE", "DELETE", "INSERT", "INSERT", "INSERT"]


async def test_refund_with_lines_adjustments_and_transactions(db, settings) -> None:
    shop = await add_shop(db, settings, "us-shop.myshopify.com")
    record = refund_from_webhook(fixture("gws-2026-07-webhook-refunds-create.json")["response"])
    async with db.unit_of_work() as session:
        results = await service.upsert_refund(session, shop, record)
    assert [r.kind for r in results] == ["refund", "order_transaction", "order_transaction"]
    async with db.sessionmaker() as session:
        refund = await session.scalar(select(Refund).where(Refund.shop_id == shop))
        lines = (await session.scalars(select(RefundLine).where(RefundLine.refund_id == refund.id))).all()
        amounts = sorted((await session.scalars(select(Transaction.amount_pres_minor)
                                                .where(Transaction.shop_id == shop))).all())
    assert refund.presentment_currency == "USD" and refund.note == "Things were damaged"
    assert sum(line.subtotal_minor for line in lines) == 8999 + 1999 + 2499 + 15999 + 11999
    assert {line.restock_type for line in lines} == {"no_restock"} and amounts == [1000, 7500]


async def test_return_lines_keep_their_own_version(db, settings) -> None:
    shop = await add_shop(db, settings, "us-shop.myshopify.com")
    requested = return_from_webhook(fixture("gws-2026-07-webhook-returns-request.json")["response"])
    with_lines = replace(requested, lines=(ReturnLineRecord("gid://shopify/ReturnLineItem/1",
                                                            "gid://shopify/LineItem/9", 2, reason="size_too_small"),))
    approved = replace(requested, status="open", order_id=None, lines=())
    t0 = eu_order().updated_at
    async with db.unit_of_work() as session:  # the approval overtakes the request
        await service.upsert_return(session, shop, approved, version_at=t0 + timedelta(minutes=2))
    async with db.unit_of_work() as session:
        result = await service.upsert_return(session, shop, with_lines, version_at=t0 + timedelta(minutes=1))
    assert result.status == "stale"
    async with db.sessionmaker() as session:
        stored = await session.scalar(select(Return).where(Return.shop_id == shop))
        lines = (await session.scalars(select(ReturnLine).where(ReturnLine.return_id == stored.id))).all()
    assert (stored.status, stored.order_gid) == ("open", "gid://shopify/Order/4783296544821")
    assert [(line.line_item_gid, line.quantity, line.reason) for line in lines] == [
        ("gid://shopify/LineItem/9", 2, "size_too_small")]


async def test_payouts_and_balance_transactions(db, settings) -> None:
    shop = await add_shop(db, settings, "us-shop.myshopify.com")
    async with db.unit_of_work() as session:
        for item in fixture("spa-rest-payouts.json")["payouts"]:
            await service.upsert_payout(session, shop, payout_from_rest(item))
        for item in fixture("spa-rest-payouts_transactions.json")["transactions"]:
            await service.upsert_balance_transaction(session, shop, balance_transaction_from_rest(item))
    async with db.sessionmaker() as session:
        payout = await session.scalar(select(Payout).where(Payout.shopify_id ==
                                                           "gid://shopify/ShopifyPaymentsPayout/854088011"))
        fees = (await session.scalars(select(BalanceTransaction.fee_minor).where(
            BalanceTransaction.shop_id == shop).order_by(BalanceTransaction.processed_at, BalanceTransaction.shopify_id)
        )).all()
    assert (payout.net_minor, payout.charges_gross_minor, payout.refunds_fee_minor) == (4312, 4552, -23)
    assert len(fees) == len(fixture("spa-rest-payouts_transactions.json")["transactions"])


async def test_the_same_shopify_id_in_two_shops_is_two_rows(db, settings) -> None:
    shop_a = await add_shop(db, settings, "a-shop.myshopify.com")
    shop_b = await add_shop(db, settings, "b-shop.myshopify.com")
    async with db.unit_of_work() as session:
        await service.upsert_order(session, shop_a, eu_order())
        await service.upsert_order(session, shop_b, replace(eu_order(), note="b"))
    async with db.sessionmaker() as session:
        notes = (await session.scalars(select(Order.note).order_by(Order.note))).all()
    assert list(notes) == ["b", None] or list(notes) == [None, "b"]
    assert await count(db, LineItem, shop_a) == 2 and await count(db, LineItem, shop_b) == 2


async def test_payout_status_read_later_wins_when_observed_at_is_given(db, settings) -> None:
    shop = await add_shop(db, settings, "us-shop.myshopify.com")
    scheduled = payout_from_rest(fixture("spa-rest-payouts.json")["payouts"][0])
    paid = replace(scheduled, status="paid")
    first_read = scheduled.issued_at + timedelta(days=1)
    async with db.unit_of_work() as session:
        await service.upsert_payout(session, shop, paid, observed_at=first_read + timedelta(days=1))
    async with db.unit_of_work() as session:  # an older read arriving late does not undo "paid"
        result = await service.upsert_payout(session, shop, scheduled, observed_at=first_read)
    assert result.status == "stale"
    async with db.sessionmaker() as session:
        assert await session.scalar(select(Payout.status).where(Payout.shop_id == shop)) == "paid"
