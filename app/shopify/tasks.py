"""Shopify connector jobs and the service functions that start them.

Jobs (each one transaction with its done-mark; long work is split into follow-up jobs, see `app.shopify.sync`):
- `shopify.sync_shop` {shop_id, since?, started?, window_start?, cursor?}: one slice of the incremental sync;
  the first slice also checks webhook subscriptions and re-creates missing ones.
- `shopify.backfill_shop` {shop_id, run_id}: starts the bulk operation (once), polls it briefly, ingests a slice.
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
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.errors import InvalidInput, NotFound
from app.jobs import JobContext, enqueue, job
from app.shopify import bulk, sync
from app.shopify.client import AdminClient, ShopifyReauthRequired
from app.shopify.models import ShopifyBulkRun
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


def _client(ctx: JobContext, shop: Shop) -> AdminClient:
    from app.security import SecretBox
    from app.shops.service import shop_access_token

    token = shop_access_token(shop, SecretBox.from_settings(ctx.settings))
    return sync.client_for_shop(ctx.settings, shop, token)


async def _reauth(session: AsyncSession, shop: Shop, exc: ShopifyReauthRequired) -> None:
    from app.shops.service import mark_needs_reauth

    await mark_needs_reauth(session, shop, exc.message)
    log.warning("shopify %s needs re-authorisation: %s", shop.domain, exc.message)


@job("shopify.sync_shop", queue="default")
async def sync_shop(ctx: JobContext, payload: dict[str, Any]) -> None:
    shop = await _shop(ctx.session, payload["shop_id"])
    if shop.needs_reauth:
        log.warning("shopify %s: sync skipped, the shop needs re-authorisation", shop.domain)
        return
    state = await sync.sync_state(ctx.session, shop.id)
    try:
        async with _client(ctx, shop) as client:
            if not payload.get("started"):
                state.last_sync_started_at = utcnow()
                state.last_sync_error = None
                state.last_sync_orders = 0
                scopes = await client.granted_scopes()
                shop.granted_scopes = scopes
                await sync.ensure_webhooks(client, ctx.settings, set(scopes))
                state.webhooks_checked_at = utcnow()
                start = sync.window_start(state, sync.parse_iso(payload.get("since")))
                payload = {**payload, "window_start": start.isoformat() if start else None, "started": True}
            query = sync.search_window(sync.parse_iso(payload.get("window_start")))
            outcome = await sync.sync_slice(ctx.session, client, shop.id, query, payload.get("cursor"), sync_limits)
    except ShopifyReauthRequired as exc:
        await _reauth(ctx.session, shop, exc)
        return
    state.last_sync_orders += outcome.counts.total
    if outcome.finished:
        state.last_sync_finished_at = utcnow()
        log.info("shopify %s: sync done, %s orders", shop.domain, state.last_sync_orders)
    else:
        ctx.enqueue("shopify.sync_shop", {**payload, "cursor": outcome.cursor}, key=f"sync:{shop.id}")


async def _advance_run(ctx: JobContext, shop: Shop, run: ShopifyBulkRun, client: AdminClient) -> None:
    """One step of a run: start the operation (committed at once, so a retry never starts a second one), or poll
    it for a few seconds, or ingest a slice once it is complete. Each step hands over to a follow-up job."""
    if run.operation_id is None:
        operation = await bulk.start_operation(client)
        run.operation_id, run.status, run.shopify_status = operation["id"], "running", operation.get("status")
        _continue(ctx, shop, run)
        return
    deadline = time.monotonic() + POLL_SECONDS
    while run.status == "running":
        bulk.apply_operation(run, await bulk.poll_operation(client, run.operation_id))
        if run.status == "running" and time.monotonic() >= deadline:
            _continue(ctx, shop, run)
            return
        if run.status == "running":
            await asyncio.sleep(POLL_INTERVAL)
    if run.status == "ingesting":
        _hand_over(ctx, run)


def _hand_over(ctx: JobContext, run: ShopifyBulkRun) -> None:
    """Ingest in follow-up jobs, so that "the operation completed" commits on its own first."""
    ctx.enqueue("shopify.bulk_ingest", {"run_id": str(run.id)}, key=f"bulk_ingest:{run.id}")


def _continue(ctx: JobContext, shop: Shop, run: ShopifyBulkRun) -> None:
    ctx.enqueue("shopify.backfill_shop", {"shop_id": str(shop.id), "run_id": str(run.id)},
                key=f"backfill:{shop.id}")


async def _ingest(ctx: JobContext, run: ShopifyBulkRun, client: AdminClient) -> None:
    outcome = await bulk.ingest_slice(ctx.session, client.http_client(), run, ingest_limits)
    if not outcome.finished:
        _hand_over(ctx, run)


async def _run(session: AsyncSession, run_id: str) -> ShopifyBulkRun:
    run = (await session.execute(select(ShopifyBulkRun).where(ShopifyBulkRun.id == uuid.UUID(run_id))
                                 .with_for_update())).scalar_one_or_none()
    if run is None:
        raise NotFound(f"bulk run {run_id} does not exist")
    return run


@job("shopify.backfill_shop", queue="default")
async def backfill_shop(ctx: JobContext, payload: dict[str, Any]) -> None:
    shop = await _shop(ctx.session, payload["shop_id"])
    run = await _run(ctx.session, payload["run_id"])
    if run.status in ("done", "failed"):
        return
    try:
        async with _client(ctx, shop) as client:
            await _advance_run(ctx, shop, run, client)
    except ShopifyReauthRequired as exc:
        await _reauth(ctx.session, shop, exc)
        run.status, run.message, run.finished_at = "failed", exc.message, utcnow()


@job("shopify.bulk_ingest", queue="default")
async def bulk_ingest(ctx: JobContext, payload: dict[str, Any]) -> None:
    run = await _run(ctx.session, payload["run_id"])
    if run.status != "ingesting":
        return
    shop = await _shop(ctx.session, str(run.shop_id))
    async with _client(ctx, shop) as client:
        await _ingest(ctx, run, client)


@job("shopify.bulk_finished", queue="default")
async def bulk_finished(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The bulk_operations/finish webhook: look the run up by operation id and carry on from there."""
    operation_id = payload.get("admin_graphql_api_id") or payload.get("operation_id")
    run = (await ctx.session.execute(
        select(ShopifyBulkRun).where(ShopifyBulkRun.operation_id == operation_id).with_for_update()
    )).scalar_one_or_none()
    if run is None or run.status in ("done", "failed"):
        log.info("bulk_operations/finish for %s: no open run (ignored)", operation_id)
        return
    shop = await _shop(ctx.session, str(run.shop_id))
    try:
        async with _client(ctx, shop) as client:
            if run.status == "running":
                bulk.apply_operation(run, await bulk.poll_operation(client, run.operation_id))
    except ShopifyReauthRequired as exc:
        await _reauth(ctx.session, shop, exc)
        return
    if run.status == "ingesting":
        _hand_over(ctx, run)
