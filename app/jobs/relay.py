"""Relay and sweeper: how committed outbox rows reach the broker, and how lost ones are found again.

- The `Relay` sends `(outbox id, job name)` pairs as Dramatiq messages. A send is only a wake-up: if it fails (broker
  down) or is lost (StubBroker dies with its process, Redis loses a worker's in-flight messages), the row stays
  pending and the sweeper re-sends it. Network brokers are called from one dedicated thread (pika connections are
  per thread; the event loop never blocks on the broker).
- The process's relay is registered with `activate()` by `JobRuntime.start`; `enqueue` uses it to set leases and the
  after-commit hook uses it to send.
- The `Sweeper` periodically claims pending rows whose lease expired, pushes their lease forward and re-sends them.
  Claiming is one `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING`, so several API and worker
  processes on PostgreSQL never send the same expired row twice per lease, and a row locked by a running job (its
  transaction holds the lock until it commits done) is skipped. SQLite has a single writer, so the same statement
  is safe there without the lock clause.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, TypeVar

import dramatiq
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import select

from app.config import Settings
from app.db import Database, utcnow
from app.jobs.batch import batch_message
from app.jobs.models import OutboxMessage
from app.jobs.pacing import Foreground
from app.jobs.registry import get_job
from app.logging import redact

log = logging.getLogger(__name__)
T = TypeVar("T")
_TABLE = OutboxMessage.__table__

_active: Relay | None = None


def active_relay() -> Relay | None:
    return _active


def activate(relay: Relay) -> None:
    global _active
    _active = relay


def deactivate(relay: Relay) -> None:
    global _active
    if _active is relay:
        _active = None


class Relay:
    """Sends outbox rows to the broker in batches."""

    def __init__(self, broker: dramatiq.Broker, actors: dict[str, dramatiq.Actor], settings: Settings) -> None:
        self.broker = broker
        self.actors = actors
        self.settings = settings
        self.lease = timedelta(seconds=settings.outbox_lease_seconds)
        self._inline = isinstance(broker, StubBroker)
        self._thread = None if self._inline else ThreadPoolExecutor(1, thread_name_prefix="outbox-relay")
        self.sent = 0

    def lease_until(self, now: datetime | None = None) -> datetime:
        return (now or utcnow()) + self.lease

    def send_now(self, items: Sequence[tuple[uuid.UUID, str]]) -> int:
        """Send synchronously (caller's thread); returns how many jobs were sent. Jobs declared `batch=True` go
        `job_batch_size` to a message (`app.jobs.batch`), the others one each. Unknown job names are skipped with
        a warning."""
        count = 0
        for name, ids in _by_name(items).items():
            actor = self.actors.get(name)
            spec = get_job(name)
            if actor is None or spec is None:
                log.warning("%d outbox row(s) name job %r, which this process does not know; not sent", len(ids),
                            name)
                continue
            size = self.settings.job_batch_size if spec.batch else 1
            for start in range(0, len(ids), size):
                chunk = ids[start:start + size]
                message = (actor.message(str(chunk[0])) if len(chunk) == 1
                           else batch_message(actor, spec, chunk, self.settings))
                self.broker.enqueue(message)
                count += len(chunk)
        self.sent += count
        return count

    def submit(self, items: Sequence[tuple[uuid.UUID, str]]) -> None:
        """Fire and forget (the after-commit path): a committing request or job never waits for a network broker.
        The relay thread sends in submission order; `close()` waits for what is queued."""
        if self._thread is None:
            self._send_logged(items)
        else:
            self._thread.submit(self._send_logged, list(items))

    def _send_logged(self, items: Sequence[tuple[uuid.UUID, str]]) -> int:
        try:
            return self.send_now(items)
        except Exception as exc:  # the database is the truth: the rows stay pending and will be re-sent
            log.warning("could not send %d job(s) to the broker (they stay pending and will be re-sent): %s",
                        len(items), redact(str(exc)))
            return 0

    async def send(self, items: Sequence[tuple[uuid.UUID, str]]) -> int:
        """Send and wait (the sweeper); a failure is logged, never raised (the rows are re-sent later)."""
        if self._thread is None:
            return self._send_logged(items)
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._send_logged, list(items))

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """Run `function(*args)` on the relay's thread (network brokers) or inline (StubBroker)."""
        if self._thread is None:
            return function(*args)
        return await asyncio.get_running_loop().run_in_executor(self._thread, function, *args)

    def close(self) -> None:
        if self._thread is not None:
            self._thread.shutdown(wait=True)


def _by_name(items: Sequence[tuple[uuid.UUID, str]]) -> dict[str, list[uuid.UUID]]:
    """The ids per job name, each list in the order given (the order the jobs were enqueued)."""
    groups: dict[str, list[uuid.UUID]] = {}
    for message_id, name in items:
        groups.setdefault(name, []).append(message_id)
    return groups


class Sweeper:
    """Re-sends pending rows whose lease expired (and, on an embedded start, everything the StubBroker lost)."""

    def __init__(self, database: Database, relay: Relay, settings: Settings,
                 foreground: Foreground | None = None) -> None:
        self.database = database
        self.relay = relay
        self.foreground = foreground
        self.interval = settings.outbox_sweep_interval_seconds
        self.batch = settings.outbox_relay_batch
        self.resent = 0
        self._step: asyncio.Future[list[tuple[uuid.UUID, str]]] | None = None

    async def sweep(self, *, cutoff: datetime | None = None) -> int:
        """Claim and re-send every pending row with `lease_until < cutoff` (default: now). Returns how many."""
        cutoff = cutoff or utcnow()
        total = 0
        while True:
            if self.foreground is not None:  # an API process: its requests first (app.jobs.pacing)
                await self.foreground.give_way()
            self._step = asyncio.ensure_future(self._claim_and_send(cutoff))
            items = await asyncio.shield(self._step)  # a stop never cuts a claim's transaction short
            total += len(items)
            if len(items) < self.batch:
                break
        self.resent += total
        if total:
            log.info("sweeper re-sent %d pending job(s)", total)
        return total

    async def _claim_and_send(self, cutoff: datetime) -> list[tuple[uuid.UUID, str]]:
        items = await self._claim(cutoff)
        if items:
            await self.relay.send(items)
        return items

    async def finish(self) -> None:
        """After the `run` task was cancelled: wait for a claim in progress to commit and send. (Cancelling the
        claim itself would leave its SQLite connection inside a write transaction, holding the database's one
        write lock until the pool is disposed: every job of the shutting-down worker would then time out.)"""
        step, self._step = self._step, None
        if step is not None and not step.done():
            with contextlib.suppress(Exception):
                await step

    async def _claim(self, cutoff: datetime) -> list[tuple[uuid.UUID, str]]:
        async with self.database.unit_of_work() as session:
            due = (select(_TABLE.c.id).where(_TABLE.c.status == "pending", _TABLE.c.lease_until < cutoff)
                   .order_by(_TABLE.c.lease_until).limit(self.batch))
            if session.bind.dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            rows = await session.execute(
                _TABLE.update().where(_TABLE.c.id.in_(due.scalar_subquery()), _TABLE.c.status == "pending",
                                      _TABLE.c.lease_until < cutoff)  # re-checked after any lock wait
                .values(lease_until=self.relay.lease_until(), resends=_TABLE.c.resends + 1)
                .returning(_TABLE.c.id, _TABLE.c.name)
            )
            return [(row.id, row.name) for row in rows]

    async def run(self, *, resend_before: datetime | None = None) -> None:
        """Sweep forever (cancel the task to stop). With `resend_before`, first re-send every pending row whose lease
        ends before it (an embedded StubBroker starts empty: whatever it held died with the previous process)."""
        if resend_before is not None:
            await self._sweep_logged(cutoff=resend_before)
        while True:
            await asyncio.sleep(self.interval)
            await self._sweep_logged()

    async def _sweep_logged(self, *, cutoff: datetime | None = None) -> None:
        try:
            await self.sweep(cutoff=cutoff)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a locked SQLite file or a PostgreSQL restart must not kill the loop
            first_line = (str(exc) or type(exc).__name__).splitlines()[0]  # SQLAlchemy appends the whole statement
            log.warning("outbox sweep failed (will retry in %.1fs): %s", self.interval, redact(first_line))
