"""Shopify connector jobs and the service functions that start them.

Jobs (each one transaction with its done-mark; long work is split into follow-up jobs, see `app.shopify.sync`).
Each has a fetch phase (`job(fetch=...)`) that talks to Shopify, waits for its throttle and polls, and downloads and
maps bulk JSONL, all before the job's transaction, so the transaction only writes: on SQLite it holds the write
lock webhook intake needs, and measured with the lock held through the Shopify calls, webhooks waited 6 s each
during a sync.
- `shopify.sync_shop` {shop_id, since?, started?, window_start?, cursor?}: one slice of the incremental sync;
  the first slice also checks webhook subscriptions and re-creates missing ones.
- `shopify.backfill_shop` {shop_id, run_id}: starts the bulk operation of the run's phase (once), or polls it for a
  few seconds. A run reads one file per phase (`app.shopify.bulk.PHASES`): orders, fulfilments, refunds, returns.
- `shopify.bulk_finished` {shop_domain|shop_id, admin_graphql_api_id, status, error_code?}: the
  bulk_operations/finish webhook; marks the run complete and ingests.
- `shopify.bulk_ingest` {run_id}: the next slice of a run's JSONL.
A 401 marks the shop "needs re-authorisation" (F2's `mark_needs_reauth`) and ends the job without retrying.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.errors import InvalidInput, NotFound
from app.jobs import FetchContext, JobContext, enqueue, job
from app.shopify import backfill_returns, bulk, sync
from app.shopify.client import AdminClient, ShopifyReauthRequired
from app.shopify.models import ShopifyBulkRun, ShopifySyncState
from app.shops.models import Shop

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0    # one backfill job polls this long, then hands over to a follow-up job (short write locks)
POLL_INTERVAL = 0.25
sync_limits = sync.SliceLimits()
ingest_limits = bulk.SliceLimits()


def start_sync(session: AsyncSession, shop: Shop, since: datetime | None = None) -> list[uuid.UUID]:
    """Enqueue an incremental sync of `shop` (orders updated since the watermark, or since `since`)."""
    if since is not None and since.tzinfo is None:
        raise InvalidInput("since must carry a timezone (e.g. 2026-11-01T00:00:00Z)", field="since")
    payload = {"shop_id": str(shop.id), "since": since.isoformat() if since else None}
    message = enqueue(session, "shopify.sync_shop", payload, key=f"sync:{shop.id}")
    return [message.id]


async def start_backfill(session: AsyncSession, shop: Shop) -> uuid.UUID:
    """Create a bulk backfill run for `shop` (or reuse the one in progress) and enqueue its job."""
    run = await bulk.active_run(session, shop.id)
    if run is None:
        run = ShopifyBulkRun(shop_id=shop.id, status="starting", lines_committed=0, bytes_committed=0,
                             roots_committed=0, orders_applied=0, orders_stale=0, orders_unchanged=0)
        session.add(run)
        await session.flush()
    message = enqueue(session, "shopify.backfill_shop", {"shop_id": str(shop.id), "run_id": str(run.id)},
                      key=f"backfill:{shop.id}")
    return message.id


async def _shop(session: AsyncSession, shop_id: str) -> Shop:
    shop = await session.get(Shop, uuid.UUID(shop_id))
    if shop is None:
        raise NotFound(f"shop {shop_id} no longer exists")
    return shop


def _client(ctx: JobContext | FetchContext, shop: Shop) -> AdminClient:
    from app.security import SecretBox
    from app.shops.service import shop_access_token

    token = shop_access_token(shop, SecretBox.from_settings(ctx.settings))
    return sync.client_for_shop(ctx.settings, shop, token)


async def _reauth(session: AsyncSession, shop: Shop, exc: ShopifyReauthRequired) -> None:
    from app.shops.service import mark_needs_reauth

    await mark_needs_reauth(session, shop, exc.message)
    log.warning("shopify %s needs re-authorisation: %s", shop.domain, exc.message)


async def _fail_for_reauth(session: AsyncSession, shop: Shop, run: ShopifyBulkRun,
                           exc: ShopifyReauthRequired) -> None:
    """Mark the shop for re-authorisation and end its backfill run with Shopify's reason."""
    await _reauth(session, shop, exc)
    run.status, run.message, run.finished_at = "failed", exc.message, utcnow()


@dataclass
class SyncFetch:
    """What a sync slice read from Shopify before its transaction (`fetch_sync`)."""

    payload: dict[str, Any] = field(default_factory=dict)  # the slice's payload, its window fixed on the first
    scopes: list[str] | None = None  # first slice only: the granted scopes (webhooks were checked too)
    pages: sync.FetchedSlice | None = None
    reauth: ShopifyReauthRequired | None = None
    skipped: bool = False  # the shop needs re-authorisation: nothing was asked


async def fetch_sync(ctx: FetchContext, payload: dict[str, Any]) -> SyncFetch:
    """The network half of a sync slice: scopes and webhooks (first slice), then the slice's pages."""
    async with ctx.database.sessionmaker() as session:
        shop = await _shop(session, payload["shop_id"])
        state = await session.get(ShopifySyncState, shop.id)
    if shop.needs_reauth:
        return SyncFetch(payload, skipped=True)
    scopes = None
    try:
        async with _client(ctx, shop) as client:
            if not payload.get("started"):
                scopes = await client.granted_scopes()
                await sync.ensure_webhooks(client, ctx.settings, set(scopes))
                start = sync.window_start(state, sync.parse_iso(payload.get("since")))
                payload = {**payload, "window_start": start.isoformat() if start else None, "started": True}
            query = sync.search_window(sync.parse_iso(payload.get("window_start")))
            pages = await sync.fetch_slice(client, query, payload.get("cursor"), sync_limits)
    except ShopifyReauthRequired as exc:
        return SyncFetch(payload, reauth=exc)
    return SyncFetch(payload, scopes, pages)


@job("shopify.sync_shop", queue="default", fetch=fetch_sync)
async def sync_shop(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The database half of a sync slice: store what `fetch_sync` read, move the watermark, enqueue the next."""
    fetched: SyncFetch = ctx.fetched
    shop = await _shop(ctx.session, payload["shop_id"])
    if fetched.skipped or shop.needs_reauth:
        log.warning("shopify %s: sync skipped, the shop needs re-authorisation", shop.domain)
        return
    if fetched.reauth is not None:
        await _reauth(ctx.session, shop, fetched.reauth)
        return
    assert fetched.pages is not None
    state = await sync.sync_state(ctx.session, shop.id)
    if fetched.scopes is not None:
        state.last_sync_started_at = state.webhooks_checked_at = utcnow()
        state.last_sync_error = None
        state.last_sync_orders = 0
        shop.granted_scopes = fetched.scopes
    counts = await sync.store_slice(ctx.session, shop.id, state, fetched.pages)
    state.last_sync_orders += counts.total
    if fetched.pages.finished:
        state.last_sync_finished_at = utcnow()
        log.info("shopify %s: sync done, %s orders", shop.domain, state.last_sync_orders)
    else:
        ctx.enqueue("shopify.sync_shop", {**fetched.payload, "cursor": fetched.pages.cursor}, key=f"sync:{shop.id}")


@dataclass
class BulkFetch:
    """What a backfill step asked Shopify before its transaction: the operation it started, or its latest state."""

    started: dict[str, Any] | None = None
    polled: dict[str, Any] | None = None
    reauth: ShopifyReauthRequired | None = None


async def _load_run(ctx: FetchContext, run_id: str | None = None, operation_id: str | None = None
                    ) -> tuple[ShopifyBulkRun | None, Shop | None]:
    """The run (by id or by operation id) and its shop, read in a short session of their own."""
    async with ctx.database.sessionmaker() as session:
        query = select(ShopifyBulkRun).where(ShopifyBulkRun.id == uuid.UUID(run_id)) if run_id else select(
            ShopifyBulkRun).where(ShopifyBulkRun.operation_id == operation_id)
        run = (await session.execute(query)).scalar_one_or_none()
        shop = await _shop(session, str(run.shop_id)) if run is not None else None
    return run, shop


async def _poll_until_done(client: AdminClient, operation_id: str) -> dict[str, Any]:
    """Poll the operation for up to `POLL_SECONDS`; its last state."""
    deadline = time.monotonic() + POLL_SECONDS
    while True:
        operation = await bulk.poll_operation(client, operation_id)
        if operation.get("status") not in ("CREATED", "RUNNING") or time.monotonic() >= deadline:
            return operation
        await asyncio.sleep(POLL_INTERVAL)


async def fetch_backfill(ctx: FetchContext, payload: dict[str, Any]) -> BulkFetch:
    """Start the bulk operation (once), or poll it for a few seconds; nothing to ask once it completed."""
    run, shop = await _load_run(ctx, run_id=payload["run_id"])
    if run is None or shop is None or run.status not in ("starting", "running"):
        return BulkFetch()
    try:
        async with _client(ctx, shop) as client:
            if run.operation_id is None:
                return BulkFetch(started=await bulk.start_operation(client, run.phase))
            return BulkFetch(polled=await _poll_until_done(client, run.operation_id))
    except ShopifyReauthRequired as exc:
        return BulkFetch(reauth=exc)


@job("shopify.backfill_shop", queue="default", fetch=fetch_backfill)
async def backfill_shop(ctx: JobContext, payload: dict[str, Any]) -> None:
    """One step of a run: record the started operation (committed at once, so a retry never starts a second one),
    or what polling found; each step hands over to a follow-up job, ingesting once the operation completed."""
    fetched: BulkFetch = ctx.fetched
    shop = await _shop(ctx.session, payload["shop_id"])
    run = await _run(ctx.session, payload["run_id"])
    if run.status in ("done", "failed"):
        return
    if fetched.reauth is not None:
        await _fail_for_reauth(ctx.session, shop, run, fetched.reauth)
        return
    if fetched.started is not None and run.operation_id is None:
        operation = fetched.started
        run.operation_id, run.status, run.shopify_status = operation["id"], "running", operation.get("status")
    elif fetched.polled is not None and run.status == "running" and run.operation_id == fetched.polled.get("id"):
        bulk.apply_operation(run, fetched.polled)
    if run.status in ("starting", "running"):
        _continue(ctx, run)
    elif run.status == "ingesting":
        _hand_over(ctx, run)


def _hand_over(ctx: JobContext, run: ShopifyBulkRun) -> None:
    """Ingest in follow-up jobs, so that "the operation completed" commits on its own first."""
    ctx.enqueue("shopify.bulk_ingest", {"run_id": str(run.id)}, key=f"bulk_ingest:{run.id}")


def _continue(ctx: JobContext, run: ShopifyBulkRun) -> None:
    """The run's next backfill step: poll its operation, or start the next phase's."""
    ctx.enqueue("shopify.backfill_shop", {"shop_id": str(run.shop_id), "run_id": str(run.id)},
                key=f"backfill:{run.shop_id}")


async def _run(session: AsyncSession, run_id: str) -> ShopifyBulkRun:
    run = (await session.execute(select(ShopifyBulkRun).where(ShopifyBulkRun.id == uuid.UUID(run_id))
                                 .with_for_update())).scalar_one_or_none()
    if run is None:
        raise NotFound(f"bulk run {run_id} does not exist")
    return run


async def fetch_ingest(ctx: FetchContext, payload: dict[str, Any]
                       ) -> bulk.ReadSlice | backfill_returns.ReturnsRead | None:
    """Download and map the run's next slice, or read the next orders' returns (no transaction open)."""
    run, shop = await _load_run(ctx, run_id=payload["run_id"])
    if run is None or shop is None or run.status != "ingesting":
        return None
    async with _client(ctx, shop) as client:
        if run.phase == "return_lines":
            return await backfill_returns.read_returns(client, ctx.database, run)
        return await bulk.read_slice(client.http_client(), run, ingest_limits)


@job("shopify.bulk_ingest", queue="default", fetch=fetch_ingest)
async def bulk_ingest(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Store the slice `fetch_ingest` read, unless the run moved on meanwhile (then read again)."""
    run = await _run(ctx.session, payload["run_id"])
    read: bulk.ReadSlice | backfill_returns.ReturnsRead | None = ctx.fetched
    if run.status != "ingesting" or read is None:
        return
    if isinstance(read, backfill_returns.ReturnsRead):
        await _store_returns(ctx, run, read)
        return
    if not bulk.fits(read, run):  # another delivery stored past this point meanwhile: read again
        _hand_over(ctx, run)
        return
    outcome = await bulk.store_read(ctx.session, run, read)
    if outcome.next_phase is not None and run.status == "starting":  # the next file: start its operation
        _continue(ctx, run)
    elif run.status == "ingesting":
        _hand_over(ctx, run)


async def _store_returns(ctx: JobContext, run: ShopifyBulkRun, read: backfill_returns.ReturnsRead) -> None:
    if read.reauth is not None:
        await _fail_for_reauth(ctx.session, await _shop(ctx.session, str(run.shop_id)), run, read.reauth)
    elif not backfill_returns.fits(read, run):  # another delivery stored past this point meanwhile: read again
        _hand_over(ctx, run)
    elif not await backfill_returns.store_returns(ctx.session, run, read):
        _hand_over(ctx, run)


async def fetch_finished(ctx: FetchContext, payload: dict[str, Any]) -> BulkFetch:
    """Poll the operation the bulk_operations/finish webhook names, if we have a run for it that still runs."""
    run, shop = await _load_run(ctx, operation_id=_operation_id(payload))
    if run is None or shop is None or run.status != "running" or run.operation_id is None:
        return BulkFetch()
    try:
        async with _client(ctx, shop) as client:
            return BulkFetch(polled=await bulk.poll_operation(client, run.operation_id))
    except ShopifyReauthRequired as exc:
        return BulkFetch(reauth=exc)


def _operation_id(payload: dict[str, Any]) -> str | None:
    return payload.get("admin_graphql_api_id") or payload.get("operation_id")


@job("shopify.bulk_finished", queue="default", fetch=fetch_finished)
async def bulk_finished(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The bulk_operations/finish webhook: look the run up by operation id and carry on from there."""
    fetched: BulkFetch = ctx.fetched
    operation_id = _operation_id(payload)
    run = (await ctx.session.execute(
        select(ShopifyBulkRun).where(ShopifyBulkRun.operation_id == operation_id).with_for_update()
    )).scalar_one_or_none()
    if run is None or run.status in ("done", "failed"):
        log.info("bulk_operations/finish for %s: no open run (ignored)", operation_id)
        return
    if fetched.reauth is not None:
        await _reauth(ctx.session, await _shop(ctx.session, str(run.shop_id)), fetched.reauth)
        return
    if fetched.polled is not None and run.status == "running":
        bulk.apply_operation(run, fetched.polled)
    if run.status == "ingesting":
        _hand_over(ctx, run)
