"""Idempotent, order-independent upserts of canonical records.

The rule (ARCHITECTURE "Ordering"): a record is applied only when its version (`updated_at`, else the creation time,
else the delivery time the caller passes) is newer than the stored one. Then the parent row is rewritten and its
children are deleted and re-inserted as a whole — never patched — so a row set always belongs to one version.
An older version is not applied: it is counted per shop and kind and leaves a STALE_EVENT row the reconciliation
shows. The same version with the same content is `unchanged`; the same version with different content (a webhook
and a GraphQL read of one update) is settled by the larger content hash, so the final state never depends on the
order deliveries arrive in. Services never commit: the caller's unit of work (or job) does.

One implementation: every upsert here is a batch of `app.commerce.batch` (the one-by-one functions are batches of
one). `ingest_orders` takes many orders at once — backfill and sync — and leaves exactly the state the same orders
upserted one by one, in the same order, would leave (tests/commerce/test_batch.py checks this).

Cost: one order with its lines is a SELECT, one INSERT/UPDATE, and per child table one DELETE (update only) and one
multi-row INSERT — five statements for a new order, eight for a newer version (nine from a webhook, which reads the
stored lines' inventory facts first), whatever the number of lines; a batch of orders costs the same handful of
statements per table, whatever the number of orders.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.commerce import rows
from app.commerce.batch import (
    Delivery, Keep, Status, UpsertResult, apply_batch, decide, partial_digest, record_digest, record_stale,
)
from app.commerce.models import (
    BalanceTransaction, Fulfillment, FulfillmentLine, FulfillmentOrder, InventoryLevel, LineItem, Order, Payout,
    Refund, RefundAdjustment, RefundLine, Return, ReturnLine, ShippingLine, TaxLine, Transaction,
)
from app.commerce.records import (
    PAYOUT_SUMMARY_FIELDS, BalanceTransactionRecord, FulfillmentOrderRecord, FulfillmentRecord, InventoryLevelRecord,
    OrderRecord, PayoutRecord, RefundRecord, ReturnRecord, TransactionRecord,
)

__all__ = ["OrderIngest", "Status", "UpsertResult", "content_hash", "decide", "ingest_order", "ingest_orders",
           "record_stale"]

# Child tables per parent, in delete order (rows pointing at others first); inserts run in reverse.
ORDER_CHILDREN = ((TaxLine.__table__, "order_id"), (LineItem.__table__, "order_id"),
                  (ShippingLine.__table__, "order_id"))
REFUND_CHILDREN = ((RefundLine.__table__, "refund_id"), (RefundAdjustment.__table__, "refund_id"))
FULFILLMENT_CHILDREN = ((FulfillmentLine.__table__, "fulfillment_id"),)


EMBEDDED = frozenset({"refunds", "fulfillments", "fulfillment_orders", "transactions", "returns"})
INVENTORY_FACTS = ("hs_code", "country_hs_codes", "country_of_origin", "province_of_origin", "unit_cost_minor",
                   "unit_cost_currency")
# What the children of a REST-shaped record keep from the stored ones (see `records.rest_shaped`).
REST_KEEPS_ORDER = {LineItem.__table__: Keep(INVENTORY_FACTS)}
REST_KEEPS_REFUND = {RefundLine.__table__: Keep(("restocked",))}
REST_KEEPS_FULFILLMENT = {FulfillmentLine.__table__: Keep(("shopify_id",), match="line_item_gid")}
NO_TRANSACTIONS = frozenset({"transactions"})


def content_hash(record: Any) -> str:
    """sha256 of the record's repr (see `record_digest`)."""
    return record_digest(record)


async def _apply(session: AsyncSession, model: Any, *, shop_id: uuid.UUID, kind: str, shopify_id: str,
                 version_at: datetime | None, record: Any, values: dict[str, Any],
                 source: str | None = None) -> UpsertResult:
    """One delivery without children through the batch path (a batch of one)."""
    delivery = Delivery(kind, shopify_id, version_at, _ranked(content_hash(record), record), values, None, source)
    return (await apply_batch(session, model, shop_id, [delivery]))[0]


async def upsert_order(session: AsyncSession, shop_id: uuid.UUID, record: OrderRecord, *,
                       observed_at: datetime | None = None, source: str | None = None) -> UpsertResult:
    """The order with its lines and everything embedded in it (see `ingest_order`); the order's own result."""
    return (await ingest_order(session, shop_id, record, observed_at=observed_at, source=source))[0]


async def upsert_order_row(session: AsyncSession, shop_id: uuid.UUID, record: OrderRecord, *,
                           source: str | None = None) -> UpsertResult:
    """The order row with its line items, shipping lines and tax lines (not the embedded refunds etc.)."""
    return (await apply_batch(session, Order, shop_id, [order_delivery(shop_id, record, source)],
                              ORDER_CHILDREN))[0]


async def ingest_order(session: AsyncSession, shop_id: uuid.UUID, record: OrderRecord, *,
                       observed_at: datetime | None = None, source: str | None = None) -> list[UpsertResult]:
    """The order and everything embedded in it, each under its own version rule."""
    return (await ingest_orders(session, shop_id, [record], observed_at=observed_at, source=source))[0]


async def upsert_refund(session: AsyncSession, shop_id: uuid.UUID, record: RefundRecord, *,
                        source: str | None = None) -> list[UpsertResult]:
    """The refund with its lines and adjustments, then each of its transactions."""
    results = await apply_batch(session, Refund, shop_id, [refund_delivery(shop_id, record, source)],
                                REFUND_CHILDREN)
    transactions = [transaction_delivery(tx, None, source) for tx in record.transactions]
    return results + await apply_batch(session, Transaction, shop_id, transactions)


async def upsert_transaction(session: AsyncSession, shop_id: uuid.UUID, record: TransactionRecord, *,
                             observed_at: datetime | None = None, source: str | None = None) -> UpsertResult:
    """A transaction; its version is `observed_at` when given (a status read later must win), else its own time."""
    return (await apply_batch(session, Transaction, shop_id, [transaction_delivery(record, observed_at, source)]))[0]


async def upsert_fulfillment(session: AsyncSession, shop_id: uuid.UUID, record: FulfillmentRecord, *,
                             source: str | None = None) -> UpsertResult:
    return (await apply_batch(session, Fulfillment, shop_id, [fulfillment_delivery(shop_id, record, source)],
                              FULFILLMENT_CHILDREN))[0]


async def upsert_fulfillment_order(session: AsyncSession, shop_id: uuid.UUID, record: FulfillmentOrderRecord, *,
                                   source: str | None = None) -> UpsertResult:
    return (await apply_batch(session, FulfillmentOrder, shop_id, [fulfillment_order_delivery(record, source)]))[0]


async def upsert_return(session: AsyncSession, shop_id: uuid.UUID, record: ReturnRecord, *,
                        version_at: datetime | None, source: str | None = None) -> UpsertResult:
    """A return; `returns/*` bodies may omit the order and the lines, so those never erase what is known.

    The header follows the usual version rule on `version_at` (the delivery's triggered-at). Lines keep their own
    version (`lines_version_at`): a body with lines replaces them only when it is newer than the lines stored.
    A missing order id or name keeps the stored one, and a stale body still fills them in when they are unknown
    (they never change for a return, so this cannot depend on delivery order).
    """
    table = Return.__table__
    values = rows.return_values(record)
    for key in ("order_gid", "name", "total_quantity", "shopify_created_at"):
        if values[key] is None:
            values[key] = table.c[key]
    result = await _apply(session, Return, shop_id=shop_id, kind="return", shopify_id=record.shopify_id,
                          version_at=version_at, record=record, values=values, source=source)
    if result.status == "stale" and (record.order_id or record.name):  # immutable facts fill gaps, never overwrite
        for key, value in (("order_gid", record.order_id), ("name", record.name)):
            if value is not None:
                await session.execute(update(table).where(table.c.id == result.id, table.c[key].is_(None))
                                      .values({key: value}))
    if record.lines:
        stored = (await session.execute(select(table.c.lines_version_at).where(table.c.id == result.id))).scalar()
        if stored is None or (version_at is not None and version_at > stored):
            lines_table = ReturnLine.__table__
            await session.execute(delete(lines_table).where(lines_table.c.return_id == result.id))
            await session.execute(insert(lines_table), rows.return_lines(record, shop_id, result.id))
            await session.execute(update(table).where(table.c.id == result.id).values(lines_version_at=version_at))
    return result


async def upsert_payout(session: AsyncSession, shop_id: uuid.UUID, record: PayoutRecord, *,
                        observed_at: datetime | None = None, source: str | None = None) -> UpsertResult:
    """A payout. Its status moves (scheduled → in_transit → paid) while `issued_at` stays: pass `observed_at` (when
    it was read from Shopify) so that a later read wins; without it, equal versions are settled by content hash."""
    currency = record.net.currency if record.net else None
    summary = dict(record.summary)
    values: dict[str, Any] = {"status": record.status, "issued_at": record.issued_at, "currency": currency,
                              "net_minor": rows.single_minor(record.net),
                              "validation_issues": list(record.validation_issues)}
    for name in PAYOUT_SUMMARY_FIELDS:
        amount = summary.get(name)
        values[f"{name}_minor"] = rows.to_minor(amount, currency) if amount is not None else None
    return await _apply(session, Payout, shop_id=shop_id, kind="payout", shopify_id=record.shopify_id,
                        version_at=observed_at or record.version_at, record=record, values=values, source=source)


async def upsert_balance_transaction(session: AsyncSession, shop_id: uuid.UUID, record: BalanceTransactionRecord, *,
                                     observed_at: datetime | None = None, source: str | None = None) -> UpsertResult:
    """A balance transaction; `observed_at` versions it like a payout (its payout status moves, its date does not)."""
    values = {
        "type": record.type, "test": record.test, "payout_gid": record.payout_id,
        "payout_status": record.payout_status, "currency": record.amount.currency if record.amount else None,
        "amount_minor": rows.single_minor(record.amount), "fee_minor": rows.single_minor(record.fee),
        "net_minor": rows.single_minor(record.net), "source_type": record.source_type, "source_id": record.source_id,
        "source_order_gid": record.source_order_id,
        "source_order_transaction_gid": record.source_order_transaction_id, "processed_at": record.processed_at,
        "adjustment_reason": record.adjustment_reason, "validation_issues": list(record.validation_issues),
    }
    return await _apply(session, BalanceTransaction, shop_id=shop_id, kind="balance_transaction",
                        shopify_id=record.shopify_id, version_at=observed_at or record.version_at, record=record, values=values,
                        source=source)


async def upsert_inventory_level(session: AsyncSession, shop_id: uuid.UUID, record: InventoryLevelRecord, *,
                                 source: str | None = None) -> UpsertResult:
    values = {"inventory_item_gid": record.inventory_item_id, "location_gid": record.location_id,
              "available": record.available, "validation_issues": []}
    return await _apply(session, InventoryLevel, shop_id=shop_id, kind="inventory_level",
                        shopify_id=f"{record.inventory_item_id}@{record.location_id}", version_at=record.updated_at,
                        record=record, values=values, source=source)


def _ranked(digest: str, record: Any) -> str:
    """A REST-shaped or partial record's digest carries the partial mark: a complete GraphQL read of the same
    version knows more, so it wins the tie, and the lesser record is `unchanged` against it."""
    marked = getattr(record, "rest_shaped", False) or getattr(record, "partial", False)
    return partial_digest(digest) if marked else digest


def order_delivery(shop_id: uuid.UUID, record: OrderRecord, source: str | None) -> Delivery:
    delivery = Delivery("order", record.shopify_id, record.version_at, _ranked(record_digest(record, EMBEDDED), record),
                        rows.order_values(record), None, source,
                        keep=REST_KEEPS_ORDER if record.rest_shaped else None)
    lines, shipping, taxes = rows.order_children(record, shop_id, delivery.id)
    delivery.children = {LineItem.__table__: lines, ShippingLine.__table__: shipping, TaxLine.__table__: taxes}
    return delivery


def refund_delivery(shop_id: uuid.UUID, record: RefundRecord, source: str | None) -> Delivery:
    delivery = Delivery("refund", record.shopify_id, record.version_at,
                        _ranked(record_digest(record, NO_TRANSACTIONS), record), rows.refund_values(record), None,
                        source, partial=record.partial, keep=REST_KEEPS_REFUND if record.rest_shaped else None)
    lines, adjustments = rows.refund_children(record, shop_id, delivery.id)
    delivery.children = {RefundLine.__table__: lines, RefundAdjustment.__table__: adjustments}
    return delivery


def transaction_delivery(record: TransactionRecord, observed_at: datetime | None, source: str | None) -> Delivery:
    return Delivery(record.resource, record.shopify_id, observed_at or record.version_at,
                    _ranked(content_hash(record), record), rows.transaction_values(record), None, source)


def fulfillment_delivery(shop_id: uuid.UUID, record: FulfillmentRecord, source: str | None) -> Delivery:
    delivery = Delivery("fulfillment", record.shopify_id, record.version_at, _ranked(content_hash(record), record),
                        rows.fulfillment_values(record), None, source, partial=record.partial,
                        keep=REST_KEEPS_FULFILLMENT if record.rest_shaped else None)
    delivery.children = {FulfillmentLine.__table__: rows.fulfillment_lines(record, shop_id, delivery.id)}
    return delivery


def fulfillment_order_delivery(record: FulfillmentOrderRecord, source: str | None) -> Delivery:
    return Delivery("fulfillment_order", record.shopify_id, record.version_at, content_hash(record),
                    rows.fulfillment_order_values(record), None, source)


class OrderIngest:
    """Orders added one at a time and written together (`ingest_orders` in two steps, for streaming callers).

    `add` builds the order's deliveries at once — rows, digests — so the caller need not keep the record: a batch
    holds plain rows, not the records' object graphs, which keeps the garbage collector's work small. Each table
    keeps the one-by-one sequence (an order, then its refunds each followed by the refund's transactions,
    fulfillments, fulfillment orders, the order's transactions, returns); `slots` remember where each delivery's
    result goes in its order's result list."""

    def __init__(self, shop_id: uuid.UUID, *, observed_at: datetime | None = None, source: str | None = None) -> None:
        self.shop_id, self.observed_at, self.source = shop_id, observed_at, source
        self.results: list[list[UpsertResult | None]] = []
        self.tables: dict[Any, tuple[list[Delivery], list[tuple[int, int]]]] = {
            model: ([], []) for model in (Order, Refund, Transaction, Fulfillment, FulfillmentOrder)}
        self.returns: list[tuple[int, int, ReturnRecord, datetime | None]] = []

    def __len__(self) -> int:
        return len(self.results)

    def add(self, record: OrderRecord, *, order_row: bool = True) -> None:
        """Add the order and what is embedded in it; without `order_row`, only what is embedded (a bulk file that
        carries an order's fulfilments, refunds or returns but not the order itself)."""
        shop_id, source, index = self.shop_id, self.source, len(self.results)
        self.results.append([])
        if order_row:
            self._add(Order, index, order_delivery(shop_id, record, source))
        for refund in record.refunds:
            self._add(Refund, index, refund_delivery(shop_id, refund, source))
            for tx in refund.transactions:
                self._add(Transaction, index, transaction_delivery(tx, None, source))
        for fulfillment in record.fulfillments:
            self._add(Fulfillment, index, fulfillment_delivery(shop_id, fulfillment, source))
        for fulfillment_order in record.fulfillment_orders:
            self._add(FulfillmentOrder, index, fulfillment_order_delivery(fulfillment_order, source))
        for tx in record.transactions:
            self._add(Transaction, index, transaction_delivery(tx, None, source))
        for item in record.returns:
            self.results[index].append(None)
            self.returns.append((index, len(self.results[index]) - 1, item, self.observed_at or record.version_at))

    def add_fulfillment_order(self, record: FulfillmentOrderRecord) -> None:
        """A fulfilment order read on its own (the backfill reads them from their own bulk file)."""
        index = len(self.results)
        self.results.append([])
        self._add(FulfillmentOrder, index, fulfillment_order_delivery(record, self.source))

    def _add(self, model: Any, index: int, delivery: Delivery) -> None:
        deliveries, slots = self.tables[model]
        deliveries.append(delivery)
        slots.append((index, len(self.results[index])))
        self.results[index].append(None)

    async def write(self, session: AsyncSession) -> list[list[UpsertResult]]:
        """Decide and write everything added; per order, the results `ingest_order` would return."""
        children = {Order: ORDER_CHILDREN, Refund: REFUND_CHILDREN, Fulfillment: FULFILLMENT_CHILDREN}
        for model, (deliveries, slots) in self.tables.items():
            outcomes = await apply_batch(session, model, self.shop_id, deliveries, children.get(model, ()))
            for (index, position), outcome in zip(slots, outcomes, strict=True):
                self.results[index][position] = outcome
        for index, position, item, version_at in self.returns:  # rare; their merge rules keep them one at a time
            self.results[index][position] = await upsert_return(session, self.shop_id, item, version_at=version_at,
                                                                source=self.source)
        return [[result for result in results if result is not None] for results in self.results]


async def ingest_orders(session: AsyncSession, shop_id: uuid.UUID, records: Sequence[OrderRecord], *,
                        observed_at: datetime | None = None, source: str | None = None) -> list[list[UpsertResult]]:
    """Many orders with everything embedded in them, each under its own version rule, written in bulk.

    Per record, the results are those `ingest_order` returns (the order's own result first). The final state is
    the state the records ingested one by one in this order would leave (same versions, revisions, stale rows)."""
    ingest = OrderIngest(shop_id, observed_at=observed_at, source=source)
    for record in records:
        ingest.add(record)
    return await ingest.write(session)
