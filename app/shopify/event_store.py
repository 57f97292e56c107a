"""Writing received webhook events: deduplicated, with their outbox rows, in group-committed transactions.

Every delivery must be durable before we answer 200, and each durable write is a transaction. Under a burst, the
requests of one process therefore combine: a request appends its row to a shared list and takes the writer's lock;
whoever holds the lock writes everything pending so far — one multi-row `INSERT … ON CONFLICT (shop_id, event_id)
DO NOTHING RETURNING id`, the outbox rows of the newly stored events, one commit — and resolves every waiting
request's future. Requests arriving meanwhile form the next batch. On SQLite this also means writers of this process
never meet in SQLite's busy handler (sleep-and-retry backoff). A failing batch fails all its requests (each answers
500, and Shopify retries them); a batch write is shielded, so a cancelled request cannot strand the others.
Within one batch, a repeated event id is stored once; the repeats answer "already received".

On SQLite a batch is written through a plain `sqlite3` connection called directly on the event loop, the whole
transaction at once. Measured (tests/bench/bench_webhooks.py, alternating runs, 2 shared cores): through
SQLAlchemy sessions, aiosqlite 643-884 req/s and inline 1,051-1,078 (load ~2.7, an older build); with the plain
`sqlite3` statements below, inline and a dedicated writer thread were even (830-940 vs 810-890 req/s, load 2.3-3.4),
so the simpler inline writer stayed. Why: aiosqlite hands every call (checkout, execute, fetch, commit, reset) to
its thread and back, and a writer thread gains nothing while the serving thread already keeps one core busy. The
loop only blocks while this process holds the write lock: the transaction starts with `BEGIN IMMEDIATE` under
`busy_timeout=0`, and while another connection (the job worker) holds the lock the
writer yields to the loop and retries every millisecond (instead of sleeping in SQLite's busy handler, whose
back-off reaches 100 ms a step), for at most `LOCK_WAIT_SECONDS`; then the batch fails (500, Shopify retries).
WAL checkpoints: a background thread runs `PRAGMA wal_checkpoint(PASSIVE)` every `CHECKPOINT_EVERY_SECONDS` (it
waits for no writer and no writer waits for it), so the checkpoint this connection still runs itself once the WAL
passes `WRITER_AUTOCHECKPOINT_PAGES` (needed for the WAL to restart) only copies the remainder. The statements are
plain `sqlite3` calls with SQLAlchemy's value conversions (`app.sqlite_insert`): through a SQLAlchemy session the
same batch cost several times SQLite's own work. The outbox rows come from `outbox.new_row`, as `enqueue` makes
them, and are handed to the relay after the commit (`outbox.hand_off`).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
import uuid
import weakref
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url

from app.db import SQLITE_PRAGMAS, Database, sync_url
from app.jobs import enqueue
from app.jobs.models import OutboxMessage
from app.jobs.outbox import hand_off, new_row
from app.shopify.events import WebhookEvent
from app.sqlite_insert import SQLiteInsert, uuid_text

INGEST_JOB = "shopify.ingest_event"
MAX_BATCH = 200  # 17 columns x 200 rows stays far below SQLite's 32,766 bound parameters
LOCK_WAIT_SECONDS = 10.0  # as long as the application's SQLite busy timeout
LOCK_RETRY_SECONDS = 0.001
CHECKPOINT_EVERY_SECONDS = 0.1
WRITER_AUTOCHECKPOINT_PAGES = 4000


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
        self._sqlite: SQLiteWriter | None = None
        if database.engine.dialect.name == "sqlite" and database.engine.url.database not in (None, "", ":memory:"):
            self._sqlite = SQLiteWriter(database.engine.url.render_as_string(hide_password=False))
            weakref.finalize(self, self._sqlite.close)

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
        if self._sqlite is not None:
            stored, hooks = await self._sqlite.write(items)
            for hook in hooks:
                result = hook()
                if hasattr(result, "__await__"):
                    await result
            return stored
        async with self.database.unit_of_work() as session:
            stored = set((await session.execute(_insert_statement(session.get_bind().dialect.name),
                                                [item.values for item in items])).scalars())
            _enqueue_ingest(session, items, stored)
        return stored


def _insert_statement(dialect: str) -> Any:
    table = WebhookEvent.__table__
    dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return dialect_insert(table).on_conflict_do_nothing(index_elements=["shop_id", "event_id"]).returning(table.c.id)


def _ingest_payloads(items: list[Pending], stored: set[uuid.UUID]) -> list[dict[str, Any]]:
    """The ingest job payload of each newly stored event of a handled topic."""
    return [{"webhook_event_id": str(item.values["id"])} for item in items
            if item.handled and item.values["id"] in stored]


def _enqueue_ingest(session: Any, items: list[Pending], stored: set[uuid.UUID]) -> None:
    for payload in _ingest_payloads(items, stored):
        enqueue(session, INGEST_JOB, payload)


class SQLiteWriter:
    """One `sqlite3` connection used on the event loop; each write is one whole transaction (module docstring):
    `BEGIN IMMEDIATE`, one multi-row INSERT of the events (`ON CONFLICT DO NOTHING RETURNING id`), one multi-row
    INSERT of the new events' outbox rows, `COMMIT`, all as plain `sqlite3` calls (`app.sqlite_insert`)."""

    def __init__(self, url: str) -> None:
        self.path = make_url(sync_url(url)).database or ""
        self._connection: sqlite3.Connection | None = None
        self._events = SQLiteInsert(WebhookEvent.__table__, "ON CONFLICT (shop_id, event_id) DO NOTHING RETURNING id")
        self._outbox = SQLiteInsert(OutboxMessage.__table__)
        self._checkpointer = WalCheckpointer(self.path)

    async def write(self, items: list[Pending]) -> tuple[set[uuid.UUID], list[Any]]:
        """(ids stored, after-commit hooks to run). Runs on the event loop; only the lock wait yields."""
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                return self._write_sync(items)
            except WriteLockBusy as busy:
                if time.monotonic() >= deadline:
                    raise busy.error from None
            await asyncio.sleep(LOCK_RETRY_SECONDS)

    def _write_sync(self, items: list[Pending]) -> tuple[set[uuid.UUID], list[Any]]:
        self._checkpointer.ensure_running()
        connection = self._connect()
        _begin_when_free(connection)
        try:
            returned = {row[0] for row in self._events.execute(connection, [item.values for item in items])}
            stored = {item.values["id"] for item in items if uuid_text(item.values["id"]) in returned}
            jobs = [new_row(INGEST_JOB, payload) for payload in _ingest_payloads(items, stored)]
            self._outbox.execute(connection, jobs)
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        sent = [(job["id"], job["name"]) for job in jobs]
        return stored, [lambda: hand_off(sent)]

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            for pragma in SQLITE_PRAGMAS:
                connection.execute(pragma)
            connection.execute("PRAGMA busy_timeout=0")  # we wait for the write lock by polling (write())
            connection.execute(f"PRAGMA wal_autocheckpoint={WRITER_AUTOCHECKPOINT_PAGES}")
            self._connection = connection
        return self._connection

    def close(self) -> None:
        self._checkpointer.stop()
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class WalCheckpointer:
    """A daemon thread checkpointing the WAL (PASSIVE) every `CHECKPOINT_EVERY_SECONDS`, started on first use."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def ensure_running(self) -> None:
        if self._thread is None and not self._stopped.is_set():
            self._thread = threading.Thread(target=self._run, name="webhook-wal-checkpoint", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            connection.execute("PRAGMA busy_timeout=0")
            while not self._stopped.wait(CHECKPOINT_EVERY_SECONDS):
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:
                    continue  # busy or locked this time: the next round catches up
        finally:
            connection.close()

    def stop(self) -> None:
        self._stopped.set()


class WriteLockBusy(Exception):
    """Another connection holds SQLite's write lock; `error` is SQLite's own answer."""

    def __init__(self, error: sqlite3.OperationalError) -> None:
        super().__init__(str(error))
        self.error = error


def _begin_when_free(dbapi_connection: sqlite3.Connection) -> None:
    try:
        dbapi_connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise WriteLockBusy(exc) from None
        raise


def writer_for(state: Any) -> EventWriter:
    """The application's writer (created on first use, in the serving event loop)."""
    writer = getattr(state, "webhook_event_writer", None)
    if writer is None or writer.database is not state.database:
        writer = EventWriter(state.database)
        state.webhook_event_writer = writer
    return writer
