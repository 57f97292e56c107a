"""Commerce jobs.

- `shopify.ingest_event` {webhook_event_id}: map one stored webhook event and upsert the canonical records; its
  effects, the event's status and the outbox done-mark commit together (see `app.shopify.ingest`).
"""

from __future__ import annotations

import uuid
from typing import Any

from app.errors import InvalidInput
from app.jobs import JobContext, job


@job("shopify.ingest_event", queue="default", batch=True)
async def ingest_event(ctx: JobContext, payload: dict[str, Any]) -> None:
    from app.shopify.ingest import ingest_event as ingest

    try:
        event_id = uuid.UUID(str(payload["webhook_event_id"]))
    except (KeyError, ValueError):
        raise InvalidInput("shopify.ingest_event needs a webhook_event_id (UUID)") from None
    await ingest(ctx.session, event_id)
