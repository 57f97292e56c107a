"""Idempotent, order-independent upserts of canonical records.

The rule (ARCHITECTURE "Ordering"): a record is applied only when its version (`updated_at`, else the creation time,
else the delivery time the caller passes) is newer than the stored one. Then the parent row is rewritten and its
children are deleted and re-inserted as a whole — never patched — so a row set always belongs to one version.
An older version is not applied: it is counted per shop and kind and leaves a STALE_EVENT row the reconciliation
shows. The same version with the same content is `unchanged`; the same version with different content (a webhook
and a GraphQL read of one update) is settled by the larger content hash, so the final state never depends on the
order deliveries arrive in. Services never commit: the caller's unit of work (or job) does.

Cost: one order with its lines is a SELECT, one INSERT/UPDATE, and per child table one DELETE (update only) and one
multi-row INSERT — five statements for a new order, eight for a newer version, whatever the number of lines.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.commerce import rows
from app.commerce.models import (
    BalanceTransaction, Fulfillment, FulfillmentLine, FulfillmentOrder, InventoryLevel, LineItem, Order, Payout,
    Refund, RefundAdjustment, RefundLine, Return, ReturnLine, ShippingLine, StaleCounter, StaleDelivery, TaxLine,
    Transaction,
)
from app.commerce.records import (
    PAYOUT_SUMMARY_FIELDS, BalanceTransactionRecord, FulfillmentOrderRecord, FulfillmentRecord, InventoryLevelRecord,
    OrderRecord, PayoutRecord, RefundRecord, ReturnRecord, TransactionRecord,
)
from app.db import utcnow

Status = Literal["applied", "stale", "unchanged"]
ChildSpec = tuple[Table, str, Callable[[uuid.UUID], list[dict[str, Any]]]]


@dataclass(frozen=True, slots=True)
class UpsertResult:
    kind: str
    shopify_id: str
    status: Status
    id: uuid.UUID


def content_hash(record: Any) -> str:
    return hashlib.sha256(repr(record).encode("utf-8")).hexdigest()


def decide(stored_at: datetime | None, stored_hash: str, incoming_at: datetime | None, incoming_hash: str) -> Status:
    """applied / stale / unchanged for an incoming version against the stored one (None sorts oldest)."""
    if incoming_hash == stored_hash and incoming_at == stored_at:
        return "unchanged"
    if stored_at is not None and (incoming_at is None or incoming_at < stored_at):
        return "stale"
    if incoming_at is not None and (stored_at is None or incoming_at > stored_at):
        return "applied"
    if incoming_hash == stored_hash:
        return "unchanged"
    return "applied" if incoming_hash > stored_hash else "stale"


def _insert_for(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def record_stale(session: AsyncSession, shop_id: uuid.UUID, kind: str, shopify_id: str,
                       incoming_at: datetime | None, stored_at: datetime | None, source: str | None) -> None:
    await session.execute(insert(StaleDelivery.__table__).values(
        id=uuid.uuid4(), shop_id=shop_id, kind=kind, shopify_id=shopify_id, incoming_version_at=incoming_at,
        stored_version_at=stored_at, source=source, created_at=utcnow()))
    table = StaleCounter.__table__
    stmt = _insert_for(session)(table).values(id=uuid.uuid4(), shop_id=shop_id, kind=kind, count=1)
    await session.execute(stmt.on_conflict_do_update(index_elements=["shop_id", "kind"],
                                                     set_={"count": table.c["count"] + 1}))


async def _apply(session: AsyncSession, model: Any, *, shop_id: uuid.UUID, kind: str, shopify_id: str,
                 version_at: datetime | None, record: Any, values: dict[str, Any], children: list[ChildSpec],
                 source: str | None) -> UpsertResult:
    table: Table = model.__table__
    digest = content_hash(record)
    found = (await session.execute(
        select(table.c.id, table.c.source_updated_at, table.c.content_hash)
        .where(table.c.shop_id == shop_id, table.c.shopify_id == shopify_id)
    )).first()
    if found is None:
        row_id = uuid.uuid4()
        now = utcnow()
        await session.execute(insert(table).values(
            id=row_id, shop_id=shop_id, shopify_id=shopify_id, source_updated_at=version_at, content_hash=digest,
            revision=1, created_at=now, updated_at=now,
            **{key: (None if isinstance(value, ColumnElement) else value) for key, value in values.items()}))
        await _write_children(session, children, row_id, replace=False)
        return UpsertResult(kind, shopify_id, "applied", row_id)
    status = decide(found.source_updated_at, found.content_hash, version_at, digest)
    if status == "stale":
        await record_stale(session, shop_id, kind, shopify_id, version_at, found.source_updated_at, source)
    elif status == "applied":
        await session.execute(update(table).where(table.c.id == found.id).values(
            source_updated_at=version_at, content_hash=digest, revision=table.c.revision + 1, updated_at=utcnow(),
            **values))
        await _write_children(session, children, found.id, replace=True)
    return UpsertResult(kind, shopify_id, status, found.id)


async def _write_children(session: AsyncSession, children: list[ChildSpec], parent_id: uuid.UUID, *,
                          replace: bool) -> None:
    if replace:
        for table, fk, _ in children:
            await session.execute(delete(table).where(table.c[fk] == parent_id))
    for table, _, build in reversed(children):  # parents of children (lines) before rows pointing at them (taxes)
        batch = build(parent_id)
        if batch:
            await session.execute(insert(table), batch)


async def upsert_order(session: AsyncSession, shop_id: uuid.UUID, record: OrderRecord, *,
                       observed_at: datetime | None = None, source: str | None = None) -> UpsertResult:
    """The order with its lines and everything embedded in it (see `ingest_order`); the order's own result."""
    return (await ingest_order(session, shop_id, record, observed_at=observed_at, source=source))[0]


async def upsert_order_row(session: AsyncSession, shop_id: uuid.UUID, record: OrderRecord, *,
                           source: str | None = None) -> UpsertResult:
    """The order row with its line items, shipping lines and tax lines (not the embedded refunds etc.)."""
    built: dict[uuid.UUID, tuple[list, list, list]] = {}

    def part(index: int) -> Callable[[uuid.UUID], list[dict[str, Any]]]:
        def build(order_id: uuid.UUID) -> list[dict[str, Any]]:
            if order_id not in built:
                built[order_id] = rows.order_children(record, shop_id, order_id)
            return built[order_id][index]
        return build

    children: list[ChildSpec] = [(TaxLine.__table__, "order_id", part(2)), (LineItem.__table__, "order_id", part(0)),
                                 (ShippingLine.__table__, "order_id", part(1))]
    return await _apply(session, Order, shop_id=shop_id, kind="order", shopify_id=record.shopify_id,
                        version_at=record.version_at, record=_without_embedded(record),
                        values=rows.order_values(record), children=children, source=source)


def _without_embedded(record: OrderRecord) -> OrderRecord:
    """The part of an order its own row stores (embedded refunds etc. version separately)."""
    return replace(record, refunds=(), fulfillments=(), fulfillment_orders=(), transactions=(), returns=())


async def ingest_order(session: AsyncSession, shop_id: uuid.UUID, record: OrderRecord, *,
                       observed_at: datetime | None = None, source: str | None = None) -> list[UpsertResult]:
    """The order and everything embedded in it, each under its own version rule."""
    results = [await upsert_order_row(session, shop_id, record, source=source)]
    for refund in record.refunds:
        results += await upsert_refund(session, shop_id, refund, source=source)
    for fulfillment in record.fulfillments:
        results.append(await upsert_fulfillment(session, shop_id, fulfillment, source=source))
    for fulfillment_order in record.fulfillment_orders:
        results.append(await upsert_fulfillment_order(session, shop_id, fulfillment_order, source=source))
    for transaction in record.transactions:
        results.append(await upsert_transaction(session, shop_id, transaction, source=source))
    for item in record.returns:
        results.append(await upsert_return(session, shop_id, item, version_at=observed_at or record.version_at,
                                           source=source))
    return results


async def upsert_refund(session: AsyncSession, shop_id: uuid.UUID, record: RefundRecord, *,
                        source: str | None = None) -> list[UpsertResult]:
    """The refund with its lines and adjustments, then each of its transactions."""
    children: list[ChildSpec] = [
        (RefundLine.__table__, "refund_id", lambda rid: rows.refund_children(record, shop_id, rid)[0]),
        (RefundAdjustment.__table__, "refund_id", lambda rid: rows.refund_children(record, shop_id, rid)[1]),
    ]
    result = await _apply(session, Refund, shop_id=shop_id, kind="refund", shopify_id=record.shopify_id,
                          version_at=record.version_at, record=replace(record, transactions=()),
                          values=rows.refund_values(record), children=children, source=source)
    results = [result]
    for transaction in record.transactions:
        results.append(await upsert_transaction(session, shop_id, transaction, source=source))
    return results


async def upsert_transaction(session: AsyncSession, shop_id: uuid.UUID, record: TransactionRecord, *,
                             observed_at: datetime | None = None, source: str | None = None) -> UpsertResult:
    """A transaction; its version is `observed_at` when given (a status read later must win), else its own time."""
    return await _apply(session, Transaction, shop_id=shop_id, kind=record.resource, shopify_id=record.shopify_id,
                        version_at=observed_at or record.version_at, record=record, values=rows.transaction_values(record),
                        children=[], source=source)


async def upsert_fulfillment(session: AsyncSession, shop_id: uuid.UUID, record: FulfillmentRecord, *,
                             source: str | None = None) -> UpsertResult:
    children: list[ChildSpec] = [(FulfillmentLine.__table__, "fulfillment_id",
                                  lambda fid: rows.fulfillment_lines(record, shop_id, fid))]
    return await _apply(session, Fulfillment, shop_id=shop_id, kind="fulfillment", shopify_id=record.shopify_id,
                        version_at=record.version_at, record=record, values=rows.fulfillment_values(record),
                        children=children, source=source)


async def upsert_fulfillment_order(session: AsyncSession, shop_id: uuid.UUID, record: FulfillmentOrderRecord, *,
                                   source: str | None = None) -> UpsertResult:
    return await _apply(session, FulfillmentOrder, shop_id=shop_id, kind="fulfillment_order",
                        shopify_id=record.shopify_id, version_at=record.version_at, record=record,
                        values=rows.fulfillment_order_values(record), children=[], source=source)


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
                          version_at=version_at, record=record, values=values, children=[], source=source)
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
                        version_at=observed_at or record.version_at, record=record, values=values, children=[], source=source)


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
                        children=[], source=source)


async def upsert_inventory_level(session: AsyncSession, shop_id: uuid.UUID, record: InventoryLevelRecord, *,
                                 source: str | None = None) -> UpsertResult:
    values = {"inventory_item_gid": record.inventory_item_id, "location_gid": record.location_id,
              "available": record.available, "validation_issues": []}
    return await _apply(session, InventoryLevel, shop_id=shop_id, kind="inventory_level",
                        shopify_id=f"{record.inventory_item_id}@{record.location_id}", version_at=record.updated_at,
                        record=record, values=values, children=[], source=source)
