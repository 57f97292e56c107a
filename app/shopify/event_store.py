"""Writing received webhook events: deduplicated, with their outbox rows, in group-committed transactions.

Every delivery must be durable before we answer 200, and each durable write is a transaction. Under a burst, the
requests of one process therefore combine: a request appends its row to a shared list and takes the writer's lock;
whoever holds the lock writes everything pending so far — one multi-row `INSERT … ON CONFLICT (shop_id, event_id)
DO NOTHING RETURNING id`, the outbox rows of the newly stored events, one commit — and resolves every waiting
request's future. Requests arriving meanwhile form the next batch. On SQLite this also means writers of this process
never meet in SQLite's busy handler (sleep-and-retry backoff). A failing batch fails all its requests (each answers
500, and Shopify retries them); a batch write is shielded, so a cancelled request cannot strand the others.
Within one batch, a repeated event id is stored once; the repeats answer "already received".
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.db import Database
from app.jobs import enqueue
from app.shopify.events import WebhookEvent

INGEST_JOB = "shopify.ingest_event"
MAX_BATCH = 200  # 17 columns x 200 rows stays far below SQLite's 32,766 bound parameters


@dataclass
class Pending:
    values: dict[str, Any]
    handled: bool
    future: asyncio.Future[bool] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class EventWriter:
    """Group commit of webhook events for one database (one per application)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._pending: list[Pending] = []
        self._lock = asyncio.Lock()

    async def store(self, values: dict[str, Any], *, handled: bool) -> bool:
        """True when this delivery stored the event; False when the event id was already received."""
        item = Pending(values, handled)
        self._pending.append(item)
        while not item.future.done():
            async with self._lock:
                if item.future.done():
                    break
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                try:
                    await asyncio.shield(asyncio.ensure_future(self._write(batch)))
                except Exception:  # noqa: BLE001 - every request of the batch gets it through its future
                    pass
        return await item.future

    async def _write(self, batch: list[Pending]) -> None:
        try:
            firsts: dict[tuple[uuid.UUID, str], Pending] = {}
            for item in batch:
                firsts.setdefault((item.values["shop_id"], item.values["event_id"]), item)
            stored = await self._insert(list(firsts.values()))
        except BaseException as exc:
            for item in batch:
                if not item.future.done():
                    item.future.set_exception(exc)
            raise
        for item in batch:
            if not item.future.done():
                first = firsts[(item.values["shop_id"], item.values["event_id"])]
                item.future.set_result(first is item and item.values["id"] in stored)

    async def _insert(self, items: list[Pending]) -> set[uuid.UUID]:
        table = WebhookEvent.__table__
        async with self.database.unit_of_work() as session:
            dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
            stmt = (dialect_insert(table).on_conflict_do_nothing(index_elements=["shop_id", "event_id"])
                    .returning(table.c.id))
            stored = set((await session.execute(stmt, [item.values for item in items])).scalars())
            for item in items:
                if item.handled and item.values["id"] in stored:
                    enqueue(session, INGEST_JOB, {"webhook_event_id": str(item.values["id"])})
        return stored


def writer_for(state: Any) -> EventWriter:
    """The application's writer (created on first use, in the serving event loop)."""
    writer = getattr(state, "webhook_event_writer", None)
    if writer is None or writer.database is not state.database:
        writer = EventWriter(state.database)
        state.webhook_event_writer = writer
    return writer
