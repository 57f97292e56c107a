"""Batch ingest (`ingest_orders`) leaves exactly the state one-by-one upserts leave, and costs a fixed handful of
statements per batch whatever its size."""

from __future__ import annotations

import hashlib
import itertools
import json
import uuid
from dataclasses import replace
from datetime import timedelta
from functools import cache

import httpx
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from sqlalchemy import event, select

from app.commerce import models as cm
from app.commerce import service
from app.commerce.batch import record_digest
from app.commerce.records import OrderRecord
from app.shopify import bulk
from app.shopify.client import AdminClient
from app.shopify.mapping import BulkAssembler, order_from_graphql
from app.shopify.sandbox import generate_store
from tests.commerce.support import CANONICAL_TABLES, add_shop, state_hash
from tests.commerce.test_service import eu_order

SANDBOX = "http://sandbox.test"
VERSIONED = [model for model in CANONICAL_TABLES if hasattr(model, "revision")]
_domains = itertools.count()


async def _sandbox_records(orders: int) -> list[OrderRecord]:
    """Orders of a generated store as the bulk backfill reads them (with refunds, fulfillments, transactions)."""
    from app.shopify.sandbox.app import create_sandbox_app

    store = generate_store(seed=5, orders=orders, plan="plus")
    transport = httpx.ASGITransport(app=create_sandbox_app(store))
    async with httpx.AsyncClient(transport=transport, base_url=SANDBOX, timeout=60) as http:
        client = AdminClient(store.profile.domain, SANDBOX, next(iter(store.tokens)), "2026-10", http=http)
        operation = await bulk.start_operation(client)
        while operation["status"] in ("CREATED", "RUNNING"):
            operation = await bulk.poll_operation(client, operation["id"])
        body = (await http.get(operation["url"])).content
    assembler, nodes = BulkAssembler(), []
    for line in body.splitlines():
        done = assembler.feed(json.loads(line))
        if done is not None:
            nodes.append(done)
    nodes.append(assembler.finish())
    return [order_from_graphql(node) for node in nodes]


@cache
def _records_cache() -> list:
    return []


async def base_records() -> list[OrderRecord]:
    cached = _records_cache()
    if not cached:
        cached.extend([*await _sandbox_records(30), eu_order()])
    return cached


def variant(record: OrderRecord, shift: int, note: str | None) -> OrderRecord:
    """The record at another version (`shift` seconds) and, when `note` is given, with other content."""
    moved = replace(record, updated_at=record.updated_at + timedelta(seconds=shift)) if record.updated_at else record
    if note is None:
        return moved
    return replace(moved, note=note, refunds=tuple(replace(refund, note=note) for refund in moved.refunds))


async def _snapshot(db, shop_id: uuid.UUID) -> tuple:
    """Everything a state hash leaves out: revisions, the stale audit and counters."""
    async with db.sessionmaker() as session:
        revisions = []
        for model in VERSIONED:
            table = model.__table__
            revisions += sorted((await session.execute(select(table.c.shopify_id, table.c.revision)
                                                        .where(table.c.shop_id == shop_id))).all())
        stale_table = cm.StaleDelivery.__table__
        stale = sorted((await session.execute(select(
            stale_table.c.kind, stale_table.c.shopify_id, stale_table.c.incoming_version_at,
            stale_table.c.stored_version_at, stale_table.c.source).where(stale_table.c.shop_id == shop_id))).all(),
            key=repr)
        counters = sorted((await session.execute(select(cm.StaleCounter.kind, cm.StaleCounter.count)
                                                 .where(cm.StaleCounter.shop_id == shop_id))).all())
    return revisions, stale, counters


def _statuses(results: list[list[service.UpsertResult]]) -> list[list[tuple[str, str, str]]]:
    return [[(r.kind, r.shopify_id, r.status) for r in per_record] for per_record in results]


async def _one_by_one(db, shop_id: uuid.UUID, rounds: list[list[OrderRecord]]) -> list:
    results = []
    for records in rounds:
        for record in records:
            async with db.unit_of_work() as session:
                results.append(await service.ingest_order(session, shop_id, record, source="test"))
    return _statuses(results)


async def _batched(db, shop_id: uuid.UUID, rounds: list[list[OrderRecord]]) -> list:
    results = []
    for records in rounds:
        async with db.unit_of_work() as session:
            results += await service.ingest_orders(session, shop_id, records, source="test")
    return _statuses(results)


deliveries = st.lists(st.tuples(st.integers(0, 30), st.sampled_from([-60, 0, 0, 60, 120]),
                                st.sampled_from([None, None, "note-a", "note-b"])), min_size=1, max_size=40)


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(picks=deliveries, cuts=st.lists(st.integers(1, 40), max_size=4))
async def test_batches_leave_exactly_the_state_of_one_by_one_upserts(db, settings, picks, cuts) -> None:
    records = await base_records()
    sequence = [variant(records[index % len(records)], shift, note) for index, shift, note in picks]
    bounds = sorted({0, len(sequence), *(min(cut, len(sequence)) for cut in cuts)})
    rounds = [sequence[start:end] for start, end in itertools.pairwise(bounds)]
    number = next(_domains)
    one = await add_shop(db, settings, f"one-{number}.myshopify.com")
    many = await add_shop(db, settings, f"many-{number}.myshopify.com")
    assert await _batched(db, many, rounds) == await _one_by_one(db, one, rounds)
    assert await state_hash(db, many) == await state_hash(db, one)
    assert await _snapshot(db, many) == await _snapshot(db, one)


async def test_sandbox_records_exercise_every_embedded_kind() -> None:
    """The equivalence test is only as good as its records: they carry refunds, fulfillments, transactions."""
    records = await base_records()
    assert sum(len(r.refunds) for r in records) > 0
    assert sum(len(r.fulfillments) for r in records) > 0
    assert sum(len(r.transactions) for r in records) > 0
    assert sum(len(r.line_items) for r in records) > len(records)


async def test_a_batch_is_a_fixed_handful_of_statements_whatever_its_size(db, settings) -> None:
    records = (await base_records())[:30]
    shop = await add_shop(db, settings, "batch.myshopify.com")
    statements: list[str] = []

    def count_statement(conn, cursor, statement, *args):
        statements.append(statement.split()[0].upper())

    event.listen(db.engine.sync_engine, "before_cursor_execute", count_statement)
    try:
        async with db.unit_of_work() as session:
            await service.ingest_orders(session, shop, records[:3])
        small = len(statements)
        statements.clear()
        async with db.unit_of_work() as session:
            await service.ingest_orders(session, shop, records[3:])
        large = len(statements)
        statements.clear()
        newer = [variant(record, 60, None) for record in records]
        async with db.unit_of_work() as session:
            results = await service.ingest_orders(session, shop, newer)
        updated = len(statements)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count_statement)
    assert [per_record[0].status for per_record in results] == ["applied"] * len(records)
    assert large <= small + 8  # new child tables may appear; never a statement per order
    assert updated <= large + 12  # plus one UPDATE and one DELETE per table with replaced rows
    async with db.sessionmaker() as session:
        revisions = (await session.scalars(select(cm.Order.revision).where(cm.Order.shop_id == shop))).all()
    assert sorted(revisions) == [2] * len(records)


async def test_record_digest_is_exactly_the_sha256_of_repr() -> None:
    """Stored content hashes settle ties with new deliveries: the fast digest must equal the original definition."""
    def original(value) -> str:
        return hashlib.sha256(repr(value).encode("utf-8")).hexdigest()

    records = await base_records()
    for record in records:
        assert service.content_hash(record) == original(record)
        assert record_digest(record, service.EMBEDDED) == original(replace(
            record, refunds=(), fulfillments=(), fulfillment_orders=(), transactions=(), returns=()))
        for refund in record.refunds:
            assert record_digest(refund, service.NO_TRANSACTIONS) == original(replace(refund, transactions=()))
        for item in (*record.fulfillments, *record.transactions, *record.returns, *record.line_items):
            assert service.content_hash(item) == original(item)
