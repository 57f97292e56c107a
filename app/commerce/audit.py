"""What reconciliation shows about deliveries that were not applied: STALE_EVENT rows and per-kind counters."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.commerce.models import StaleCounter, StaleDelivery


async def stale_counts(session: AsyncSession, shop_id: uuid.UUID) -> dict[str, int]:
    """{kind: number of stale deliveries} for one shop (kinds with none are absent)."""
    rows = await session.execute(select(StaleCounter.kind, StaleCounter.count).where(StaleCounter.shop_id == shop_id))
    return {kind: count for kind, count in rows.all()}


async def stale_events(session: AsyncSession, shop_id: uuid.UUID, *, limit: int = 100) -> list[dict[str, Any]]:
    """The most recent STALE_EVENT records of one shop, newest first."""
    rows = (await session.scalars(select(StaleDelivery).where(StaleDelivery.shop_id == shop_id)
                                  .order_by(StaleDelivery.created_at.desc()).limit(limit))).all()
    return [{"kind": "STALE_EVENT", "record_kind": row.kind, "shopify_id": row.shopify_id,
             "incoming_version_at": row.incoming_version_at, "stored_version_at": row.stored_version_at,
             "source": row.source, "recorded_at": row.created_at} for row in rows]
