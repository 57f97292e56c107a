"""Bulk backfill: run Shopify's bulk query, then stream its JSONL into the commerce records, resumably.

Flow, per phase (`PHASES`: the orders file, then the fulfilments, fulfilment orders and refunds files, then the
return lines order by order in `app.shopify.backfill_returns`): `start_operation` (bulkOperationRunQuery with the
phase's document) → completion learned from the `bulk_operations/finish` webhook or by polling `bulk_operation` →
slices of the file: `read_slice` streams, joins and maps the next roots with no transaction open (a job's fetch
phase), `store_read` stores them with the resume point (its transaction). The orders file's fulfilments and refunds
are partial records; the later files' records are complete and equal to a sync's, so they replace them.

Streaming invariants:
- The file is read as bytes in chunks and split on newlines; only one order (with its children, which Shopify writes
  right after it because we ask for grouped output) is held at a time, plus the slice's mapped batches (at most
  `SliceLimits.max_orders` orders) — memory is flat however large the store. Each order is mapped as soon as it
  is complete and the batch keeps only its rows (not the JSON or the records), so little survives long enough for
  the garbage collector to scan it again and again.
- The resume point (`bytes_committed`/`lines_committed`, `last_root_id`) is always the start of an order line and is
  written in the same transaction as the orders before it. A crash or a failed download loses at most one slice;
  the next run asks for the rest with an HTTP Range request (or skips locally when the server ignores Range).
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.commerce.service import OrderIngest
from app.db import utcnow
from app.errors import Conflict
from app.shopify.client import AdminClient, ShopifyError, ShopifyUnavailable, load_document
from app.shopify.models import ShopifyBulkRun
from app.shopify.sync import StoreCounts, add_node, sync_state, write_orders

log = logging.getLogger(__name__)

BATCH_SIZE = 500
TERMINAL_FAILURES = ("FAILED", "CANCELED", "EXPIRED")
# One bulk file per phase, in this order: Shopify allows 5 connections per bulk query, nested at most 2 deep, and the
# orders file has no room for fulfilment lines, fulfilment orders, refund adjustments and transactions, or returns.
# Return lines would be nested 3 deep in any bulk file: the last phase reads them order by order
# (`app.shopify.backfill_returns`), for the orders that have returns.
PHASES = ("orders", "fulfillments", "fulfillment_orders", "refunds", "return_lines")
DOCUMENTS = {"orders": "bulk_orders", "fulfillments": "bulk_order_fulfillments",
             "fulfillment_orders": "bulk_order_fulfillment_orders", "refunds": "bulk_order_refunds"}


class BulkInProgress(ShopifyUnavailable):
    """Raised when Shopify already runs a bulk query for this app and shop (retry later)."""

    code = "SHOPIFY_BULK_IN_PROGRESS"


class BulkFailed(ShopifyError):
    """Raised when Shopify reports the bulk operation FAILED, CANCELED or EXPIRED."""

    code = "SHOPIFY_BULK_FAILED"


async def start_operation(client: AdminClient, phase: str = "orders") -> dict[str, Any]:
    data = await client.execute("bulk_operation_run_query", {"query": load_document(DOCUMENTS[phase]).text})
    payload = data["bulkOperationRunQuery"]
    errors = payload.get("userErrors") or []
    if errors:
        message = errors[0].get("message", "bulk query refused")
        if errors[0].get("code") == "OPERATION_IN_PROGRESS" or "in progress" in message.lower():
            raise BulkInProgress(f"{client.shop_domain}: {message}")
        raise ShopifyError(f"{client.shop_domain}: Shopify refused the bulk query: {message}")
    return payload["bulkOperation"]


async def poll_operation(client: AdminClient, operation_id: str) -> dict[str, Any]:
    data = await client.execute("bulk_operation", {"id": operation_id})
    operation = data.get("bulkOperation")
    if operation is None:
        raise BulkFailed(f"{client.shop_domain}: bulk operation {operation_id} does not exist")
    return operation


def apply_operation(run: ShopifyBulkRun, operation: dict[str, Any]) -> None:
    """Copy Shopify's view of the operation onto our run row."""
    run.shopify_status = operation.get("status")
    run.error_code = operation.get("errorCode")
    if operation.get("objectCount") is not None:
        run.object_count = int(operation["objectCount"])
    if operation.get("rootObjectCount") is not None:
        run.root_object_count = int(operation["rootObjectCount"])
    if operation.get("status") == "COMPLETED":
        run.url = operation.get("url")
        run.completed_at = run.completed_at or utcnow()
        if run.status in ("starting", "running"):
            run.status = "ingesting"
    elif operation.get("status") in TERMINAL_FAILURES:
        run.status = "failed"
        run.message = (f"Shopify reports the bulk operation {operation.get('status')}"
                       f" ({operation.get('errorCode') or 'no error code'}); start a new backfill")
        run.finished_at = utcnow()


async def active_run(session: AsyncSession, shop_id: uuid.UUID) -> ShopifyBulkRun | None:
    return (await session.execute(
        select(ShopifyBulkRun).where(ShopifyBulkRun.shop_id == shop_id,
                                     ShopifyBulkRun.status.in_(("starting", "running", "ingesting")))
        .order_by(ShopifyBulkRun.created_at.desc()).limit(1)
    )).scalar_one_or_none()


@dataclass
class SliceLimits:
    """One job's share of a file. Its fetch phase reads and maps this much with no transaction open, and holds
    it in memory (mapped rows, about 25 MiB for 1,000 orders); its transaction then only stores it, which on
    SQLite (one writer) holds up webhook intake for a fraction of a second (about 0.2 ms an order here)."""

    max_orders: int = 1_000
    max_seconds: float = 1.0


@dataclass
class IngestOutcome:
    finished: bool  # the phase's file is stored to its end (the run is done, or `next_phase` starts)
    counts: StoreCounts
    orders: int
    next_phase: str | None = None


@dataclass(frozen=True)
class _Mark:
    """A resume point: the start of the order not yet complete, and the last order before it."""

    offset: int
    lines: int
    root_id: str | None


class _Cursor:
    """Byte and line position in the JSONL file, and the start of the order being assembled."""

    def __init__(self, offset: int, lines: int) -> None:
        self.offset = offset
        self.lines = lines
        self.root_offset = offset
        self.root_lines = lines
        self.root_id: str | None = None

    def mark(self) -> _Mark:
        return _Mark(self.root_offset, self.root_lines, self.root_id)


class _Batch:
    """The orders of one batch, mapped as each one completes (its JSON is dropped at once: the batch holds rows,
    which keeps both memory and the garbage collector's work small)."""

    def __init__(self, shop_id: uuid.UUID, phase: str = "orders") -> None:
        self.ingest = OrderIngest(shop_id, source="shopify_bulk")
        self.counts = StoreCounts()
        self.roots = 0
        self.phase = phase

    def add(self, node: dict[str, Any]) -> None:
        if self.phase == "orders":
            add_node(self.ingest, node, self.counts)
        else:
            add_details(self.ingest, node, self.phase, self.counts)
        self.roots += 1


@dataclass
class ReadSlice:
    """What `read_slice` read and mapped: batches, each with the resume point after it, not yet stored."""

    start: int  # the run's `bytes_committed` the read began at
    phase: str = "orders"  # the file it read (each phase's file starts at offset 0 again)
    batches: list[tuple[_Batch, _Mark]] = field(default_factory=list)
    at_end: bool = False  # the file is read to its end: storing this finishes the phase

    @property
    def orders(self) -> int:
        return sum(batch.roots for batch, _ in self.batches)


def fits(read: ReadSlice, run: ShopifyBulkRun) -> bool:
    """Whether `read` starts where the run stands: same phase, same offset. Another delivery of the job may have
    stored past it meanwhile, even into the next phase, whose file starts at offset 0 again."""
    return read.phase == run.phase and read.start == run.bytes_committed


async def _byte_lines(response: httpx.Response, skip: int):
    """Complete lines (bytes, without the newline) from the response, after skipping `skip` bytes locally."""
    buffer = b""
    async for chunk in response.aiter_bytes(1 << 16):
        if skip:
            cut = min(skip, len(chunk))
            chunk, skip = chunk[cut:], skip - cut
            if not chunk:
                continue
        buffer += chunk
        lines = buffer.split(b"\n")
        buffer = lines.pop()
        for line in lines:
            yield line
    if buffer:
        yield buffer


async def ingest_slice(session: AsyncSession, http: httpx.AsyncClient, run: ShopifyBulkRun,
                       limits: SliceLimits | None = None) -> IngestOutcome:
    """Read the next part of the run's JSONL and store it (both halves at once; the job runs them apart)."""
    return await store_read(session, run, await read_slice(http, run, limits or SliceLimits()))


async def read_slice(http: httpx.AsyncClient, run: ShopifyBulkRun, limits: SliceLimits) -> ReadSlice:
    """Download, join and map the orders after the run's resume point, up to the limits (no database)."""
    read = ReadSlice(run.bytes_committed, run.phase)
    if not run.url:
        if run.root_object_count == 0 or run.object_count == 0:
            read.at_end = True
            return read
        raise Conflict(f"bulk run {run.id} has no result URL yet (status {run.shopify_status})")
    cursor = _Cursor(run.bytes_committed, run.lines_committed)
    headers = {"Range": f"bytes={cursor.offset}-"} if cursor.offset else {}
    async with http.stream("GET", run.url, headers=headers) as response:
        if response.status_code == 416:  # nothing after the resume point
            read.at_end = True
            return read
        response.raise_for_status()
        skip = cursor.offset if (cursor.offset and response.status_code != 206) else 0
        if await _read_lines(_byte_lines(response, skip), run.shop_id, run.phase, cursor, read, limits):
            return read
    read.at_end = True
    return read


async def _read_lines(lines: Any, shop_id: uuid.UUID, phase: str, cursor: _Cursor, read: ReadSlice,
                      limits: SliceLimits) -> bool:
    """Feed the lines into batches of `read`; True when the limits stopped it before the end of the file."""
    from app.shopify.mapping.jsonl import BulkAssembler, parse_line

    assembler, batch, orders, started = BulkAssembler(), _Batch(shop_id, phase), 0, time.monotonic()
    async for line in lines:
        start = cursor.offset
        cursor.offset += len(line) + 1
        cursor.lines += 1
        if not line.strip():
            continue
        obj = parse_line(line)
        is_root = "__parentId" not in obj
        done = assembler.feed(obj)
        if not is_root:
            continue
        if done is not None:
            batch.add(done)
            orders += 1
            cursor.root_id = done.get("id")
        cursor.root_offset, cursor.root_lines = start, cursor.lines - 1
        if batch.roots >= BATCH_SIZE:
            read.batches.append((batch, cursor.mark()))
            batch = _Batch(shop_id, phase)
        if orders >= limits.max_orders or time.monotonic() - started >= limits.max_seconds:
            read.batches.append((batch, cursor.mark()))
            return True
    last = assembler.finish()
    if last is not None:
        batch.add(last)
        cursor.root_id = last.get("id")
    cursor.root_offset, cursor.root_lines = cursor.offset, cursor.lines
    read.batches.append((batch, cursor.mark()))
    return False


async def store_read(session: AsyncSession, run: ShopifyBulkRun, read: ReadSlice) -> IngestOutcome:
    """Store what `read_slice` read, batch by batch with its resume point; finish the phase at the end of the file.
    The caller checks first that the read still fits the run (`fits`)."""
    counts = StoreCounts()
    for batch, mark in read.batches:
        await _store(session, run, batch, counts, mark)
    if read.at_end:
        return await finish_phase(session, run, counts, read.orders)
    return IngestOutcome(False, counts, read.orders)


async def _store(session: AsyncSession, run: ShopifyBulkRun, batch: _Batch, counts: StoreCounts,
                 mark: _Mark) -> None:
    """Upsert the batch and move the resume point to the start of the order not yet complete."""
    if batch.roots and batch.phase != "orders":  # fulfilments, refunds or returns: the orders are counted already
        await batch.ingest.write(session)
        counts.failed += batch.counts.failed
        run.last_root_id = mark.root_id
    elif batch.roots:
        stored = batch.counts
        await write_orders(session, batch.ingest, stored)
        counts.add(stored)
        run.orders_applied += stored.applied
        run.orders_stale += stored.stale
        run.orders_unchanged += stored.unchanged
        run.roots_committed += batch.roots
        run.last_root_id = mark.root_id
    run.bytes_committed = mark.offset
    run.lines_committed = mark.lines
    await session.flush()


async def finish_phase(session: AsyncSession, run: ShopifyBulkRun, counts: StoreCounts,
                       orders: int) -> IngestOutcome:
    """The end of a phase's file: start the next phase, or end the run. A run that read every file leaves the
    sync watermark at its start (when no sync set one), so the first sync reads only what changed since."""
    following = PHASES[PHASES.index(run.phase) + 1:]
    if following:
        _start_phase(run, following[0])
        await session.flush()
        return IngestOutcome(True, counts, orders, next_phase=following[0])
    state = await sync_state(session, run.shop_id)
    if state.orders_watermark is None:
        state.orders_watermark = run.created_at
    run.status = "done"
    run.finished_at = utcnow()
    run.message = (f"{run.roots_committed} orders stored ({run.orders_applied} applied, {run.orders_unchanged} "
                   f"unchanged, {run.orders_stale} stale), with their fulfilments, refunds and returns")
    await session.flush()
    log.info("shopify bulk run %s done: %s", run.id, run.message)
    return IngestOutcome(True, counts, orders)


def _start_phase(run: ShopifyBulkRun, phase: str) -> None:
    """Point the run at the next phase: a new operation to start and a new file to read from its beginning, or
    (return lines) orders to read one by one from the first."""
    status = "starting" if phase in DOCUMENTS else "ingesting"
    run.phase, run.status, run.operation_id, run.shopify_status, run.error_code = phase, status, None, None, None
    run.url = run.object_count = run.root_object_count = run.completed_at = run.last_root_id = None
    run.bytes_committed = run.lines_committed = 0


def add_details(ingest: OrderIngest, node: dict[str, Any], phase: str, counts: StoreCounts) -> None:
    """Map a node of a details file (fulfilments, refunds or returns of one order) into `ingest`, without the
    order row. A bulk file leaves out a connection that has no children: those are said to be empty, so the
    records are complete and equal to what a sync reads."""
    from app.shopify.mapping import MappingError, order_from_graphql
    from app.shopify.mapping.graphql import fulfillment_order_from_graphql

    for owner, key in _connections(node, phase):
        owner.setdefault(key, {"nodes": []})
    try:
        if phase == "fulfillment_orders":  # the file's roots are the fulfilment orders themselves
            ingest.add_fulfillment_order(fulfillment_order_from_graphql(node))
        else:
            ingest.add(order_from_graphql(node), order_row=False)
    except MappingError as exc:
        counts.failed.append(f"{node.get('id')}: {exc}")
        log.warning("shopify %s: %s could not be mapped: %s", node.get("id"), phase, exc)


def _connections(node: dict[str, Any], phase: str) -> list[tuple[dict[str, Any], str]]:
    """(object, connection) pairs the phase's document selects."""
    if phase == "fulfillments":  # the returns come without their lines (a third level): they stay partial
        return [(node, "returns")] + [(item, "fulfillmentLineItems") for item in node.get("fulfillments") or ()]
    if phase == "fulfillment_orders":
        return [(node, "lineItems")]
    if phase == "refunds":
        return [(item, key) for item in node.get("refunds") or ()
                for key in ("refundLineItems", "refundShippingLines", "orderAdjustments", "transactions")]
    return []  # return lines: order_returns.graphql is a page read, which gives every connection, empty or not
