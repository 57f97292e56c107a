"""Sync state of the Shopify connector: the incremental watermark per shop and bulk backfill runs.

Invariants:
- `ShopifySyncState.orders_watermark` only moves forward, and only in the transaction that committed the orders it
  covers (a crash never skips orders; the overlap window re-reads a little, upserts make that harmless).
- `ShopifyBulkRun.bytes_committed` / `lines_committed` is the resume point of a backfill: where the first order not
  yet committed starts in the JSONL file (always a root line); `last_root_id` is the last order committed.
- A backfill reads one bulk file per `phase` (`app.shopify.bulk.PHASES`): the orders, then what Shopify's bulk limit
  of 5 connections left out of that file. Each phase starts its own operation; the resume point belongs to the
  phase. `roots_committed` and the `orders_*` counters count the orders phase.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, Timestamps, UUIDPrimaryKey

BULK_STATUSES = ("starting", "running", "ingesting", "done", "failed")


class ShopifySyncState(Timestamps, Base):
    __tablename__ = "shopify_sync_states"

    shop_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    orders_watermark: Mapped[datetime | None]
    last_sync_started_at: Mapped[datetime | None]
    last_sync_finished_at: Mapped[datetime | None]
    last_sync_orders: Mapped[int] = mapped_column(default=0)
    last_sync_error: Mapped[str | None] = mapped_column(Text)
    webhooks_checked_at: Mapped[datetime | None]


class ShopifyBulkRun(UUIDPrimaryKey, Timestamps, Base):
    """One bulk backfill: the Shopify bulk operation, its output and how far we have stored it."""

    __tablename__ = "shopify_bulk_runs"
    __table_args__ = (Index("ix_shopify_bulk_runs_shop_id_status", "shop_id", "status"),)

    shop_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    operation_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="starting")
    phase: Mapped[str] = mapped_column(String(24), default="orders", server_default="orders")
    shopify_status: Mapped[str | None] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    object_count: Mapped[int | None] = mapped_column(BigInteger)
    root_object_count: Mapped[int | None] = mapped_column(BigInteger)
    lines_committed: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_committed: Mapped[int] = mapped_column(BigInteger, default=0)
    roots_committed: Mapped[int] = mapped_column(BigInteger, default=0)
    last_root_id: Mapped[str | None] = mapped_column(String(255))
    orders_applied: Mapped[int] = mapped_column(BigInteger, default=0)
    orders_stale: Mapped[int] = mapped_column(BigInteger, default=0)
    orders_unchanged: Mapped[int] = mapped_column(BigInteger, default=0)
    completed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
