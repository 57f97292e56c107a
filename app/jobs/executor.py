"""Running one job: claim its outbox row, run the handler, commit both, or record the failure.

The job's transaction (one `unit_of_work`) starts with the claim, a single statement:
`UPDATE job_outbox SET status='done', attempts=attempts+1 … WHERE id=:id AND status='pending' RETURNING payload`
(on PostgreSQL restricted to `… FOR UPDATE SKIP LOCKED`). The handler then writes its effects through the same
session and the unit of work commits everything at once. Consequences:
- effect and done-mark are atomic: a crash or an error before commit leaves the row pending and no effect behind;
- a redelivered message of a done row claims nothing and does nothing (exactly-once effects in the database);
- two deliveries of one row at the same time: on PostgreSQL the second finds the row locked and does nothing; on
  SQLite the claim takes the database's single write lock, so the second waits and then finds the row done.
On SQLite the job transactions of one process are also serialised by an asyncio lock: waiting on the lock is much
cheaper than SQLite's busy-timeout sleeps, and the database allows one writer anyway. (Handlers that call remote
services declare a fetch phase, which runs before the transaction: see `job(fetch=...)`.)
Because of that lock, the worker's executor (built with `hold_connection=True` by `WorkerResources`, which closes
it) runs its SQLite transactions on one connection it holds between jobs (see `transaction()`): the same
unit-of-work contract, without a pool checkout and reset per job. A transaction that fails drops the held
connection, so the next one starts on a fresh connection from the pool.

A failure is recorded in a second, short transaction: attempts + 1, `last_error`, and a lease that covers the retry's
backoff. Past the job's retry budget the row becomes `dead` with a `job_dead_letters` row and `JobDeadLettered` tells
Dramatiq not to retry; otherwise `dramatiq.Retry(delay=…)` asks the Retries middleware for a bounded-backoff retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable
from datetime import timedelta
from typing import Any

from dramatiq.common import compute_backoff
from dramatiq.errors import Retry
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from app.config import Settings
from app.db import Database, utcnow
from app.jobs.models import JobDeadLetter, OutboxMessage
from app.jobs.pacing import Foreground
from app.jobs.registry import FetchContext, JobContext, JobSpec
from app.logging import redact

log = logging.getLogger(__name__)
_TABLE = OutboxMessage.__table__
_MAX_ERROR = 4000


def _claim_statement(*, skip_locked: bool) -> Any:
    """The claim, built once (building and cache-keying it per job cost as much as running it)."""
    condition = (_TABLE.c.id == bindparam("outbox_id")) & (_TABLE.c.status == "pending")
    if skip_locked:
        locked = select(_TABLE.c.id).where(condition).with_for_update(skip_locked=True)
        condition = _TABLE.c.id.in_(locked.scalar_subquery())
    return (_TABLE.update().where(condition)
            .values(status="done", attempts=_TABLE.c.attempts + 1, finished_at=bindparam("now"))
            .returning(_TABLE.c.payload, _TABLE.c.attempts))


_CLAIM = _claim_statement(skip_locked=False)
_CLAIM_LOCKED = _claim_statement(skip_locked=True)
_PEEK = select(_TABLE.c.payload, _TABLE.c.attempts).where(_TABLE.c.id == bindparam("outbox_id"),
                                                           _TABLE.c.status == "pending")


class JobTimeLimitExceeded(Exception):
    """Raised when a handler runs past its time limit; the handler was cancelled and its transaction rolled back."""


class JobDeadLettered(Exception):
    """Raised to Dramatiq once a job's attempts are exhausted: the row is already recorded dead, do not retry."""


def describe_error(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return redact(text)[:_MAX_ERROR]


class Executor:
    """Runs jobs on one event loop with one `Database` (build both inside the worker's loop)."""

    def __init__(self, settings: Settings, database: Database, *, hold_connection: bool = False,
                 foreground: Foreground | None = None) -> None:
        self.settings = settings
        self.database = database
        self.foreground = foreground
        self._serialise = database.engine.dialect.name == "sqlite"
        self._hold = hold_connection and self._serialise
        self._lock = asyncio.Lock()
        self._held: tuple[AsyncConnection, Database] | None = None
        self.lease = timedelta(seconds=settings.outbox_lease_seconds)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work for the executor (commit, or roll back on error; after-commit hooks only after a commit).
        On SQLite: serialised by the lock and run on the held connection; elsewhere: a pooled `unit_of_work`.
        An embedded worker first gives way to the requests its process is serving (`app.jobs.pacing`)."""
        if self.foreground is not None:
            await self.foreground.give_way()
        if not self._serialise:
            async with self.database.unit_of_work() as session:
                yield session
            return
        async with self._lock:
            if not self._hold:
                async with self.database.unit_of_work() as session:
                    yield session
                return
            held = await self._held_database()
            try:
                async with held.unit_of_work() as session:
                    yield session
            except BaseException:
                await self._drop_held()
                raise

    async def _held_database(self) -> Database:
        """The held connection's `Database`; the session must begin (and so commit) its own transaction on it."""
        if self._held is not None and self._held[0].in_transaction():
            await self._drop_held()
        if self._held is None:
            connection = await self.database.engine.connect()
            self._held = connection, Database(self.database.engine,
                                              async_sessionmaker(bind=connection, expire_on_commit=False))
        return self._held[1]

    async def _drop_held(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            with contextlib.suppress(Exception):
                await held[0].close()

    async def close(self, *, timeout: float = 5.0) -> None:
        """Give the held connection back (before disposing of the database). Waits at most `timeout` seconds for a
        transaction still running (a job the thread-level time limit gave up on), so a shutdown never hangs."""
        try:
            await asyncio.wait_for(self._lock.acquire(), timeout)
        except TimeoutError:
            log.warning("a job transaction is still running at shutdown; its connection is left to the pool")
            return
        try:
            await self._drop_held()
        finally:
            self._lock.release()

    async def run(self, spec: JobSpec, outbox_id: uuid.UUID) -> bool:
        """Run the job once. True if it ran, False if there was nothing to do (already done, dead or busy).
        A job with a fetch phase runs it first, outside any transaction, on the pending row's payload."""
        try:
            fetched = None
            if spec.fetch is not None:
                pending = await self._peek(outbox_id)
                if pending is None:
                    return False
                fetched = await self._fetch(spec, outbox_id, *pending)
            async with self.transaction() as session:
                claimed = await self._claim(session, outbox_id)
                if claimed is None:
                    return False
                payload, attempt = claimed
                await self.handle(spec, session, outbox_id, payload, attempt, fetched)
            return True
        except Exception as exc:
            outcome = await self._failure(spec, outbox_id, exc)
            if outcome is exc:
                raise
            raise outcome from exc

    async def handle(self, spec: JobSpec, session: AsyncSession, outbox_id: uuid.UUID, payload: dict[str, Any],
                     attempt: int, fetched: Any = None) -> None:
        """Run the handler of a claimed job in `session`, within the job's time limit."""
        context = JobContext(session=session, settings=self.settings, database=self.database,
                             message_id=outbox_id, name=spec.name, attempt=attempt, fetched=fetched)
        await self._within_time_limit(spec, spec.handler(context, payload), "the job")

    async def _peek(self, outbox_id: uuid.UUID) -> tuple[dict[str, Any], int] | None:
        """(payload, attempt about to run) of a pending row, read without taking any write lock."""
        async with self.database.sessionmaker() as session:
            row = (await session.execute(_PEEK, {"outbox_id": outbox_id})).first()
        return None if row is None else (row.payload, row.attempts + 1)

    async def _fetch(self, spec: JobSpec, outbox_id: uuid.UUID, payload: dict[str, Any], attempt: int) -> Any:
        """The job's fetch phase (no transaction open), within the job's time limit."""
        assert spec.fetch is not None
        context = FetchContext(settings=self.settings, database=self.database, message_id=outbox_id,
                               name=spec.name, attempt=attempt)
        return await self._within_time_limit(spec, spec.fetch(context, payload), "the job's fetch")

    async def _within_time_limit(self, spec: JobSpec, work: Awaitable[Any], what: str) -> Any:
        """`work`'s result, or JobTimeLimitExceeded once it has run for the job's time limit."""
        limit_ms = spec.time_limit(self.settings)
        try:
            async with asyncio.timeout(limit_ms / 1000):
                return await work
        except TimeoutError as exc:
            raise JobTimeLimitExceeded(f"{what} ran longer than its time limit of {limit_ms} ms") from exc

    async def _claim(self, session: AsyncSession, outbox_id: uuid.UUID) -> tuple[dict[str, Any], int] | None:
        connection = await session.connection()  # Core on the session's connection: no ORM execute overhead
        claim = _CLAIM_LOCKED if connection.dialect.name == "postgresql" else _CLAIM
        row = (await connection.execute(claim, {"outbox_id": outbox_id, "now": utcnow()})).first()
        return None if row is None else (row.payload, row.attempts)

    async def _failure(self, spec: JobSpec, outbox_id: uuid.UUID, exc: Exception) -> Exception:
        """Record the failed attempt; the exception to give Dramatiq: `Retry` with a bounded backoff, or
        `JobDeadLettered` once the budget is exhausted (or the original error if the database is unreachable)."""
        error = describe_error(exc)
        try:
            attempts, delay = await self._record_failure(spec, outbox_id, error, spec.retries(self.settings))
        except Exception as record_exc:
            log.error("job %s %s failed (%s) and the failure could not be recorded: %s", spec.name, outbox_id,
                      error, describe_error(record_exc))
            return exc
        if delay is None and attempts == 0:
            log.info("job %s %s failed but is no longer pending (finished by another delivery)", spec.name,
                     outbox_id)
            return JobDeadLettered(error)
        if delay is None:
            log.error("job %s %s dead-lettered after %d attempt(s): %s", spec.name, outbox_id, attempts, error)
            return JobDeadLettered(error)
        log.warning("job %s %s attempt %d failed, retrying in %d ms: %s", spec.name, outbox_id, attempts, delay,
                    error)
        return Retry(error, delay=delay)

    def backoff_ms(self, attempts: int) -> int:
        _, delay = compute_backoff(max(attempts - 1, 0), factor=self.settings.job_min_backoff_ms,
                                   max_backoff=self.settings.job_max_backoff_ms)
        return delay

    async def _record_failure(self, spec: JobSpec, outbox_id: uuid.UUID, error: str,
                              max_retries: int) -> tuple[int, int | None]:
        """(attempts so far, retry delay in ms), the delay None when the row is now dead."""
        async with self.transaction() as session:
            row = (await session.execute(
                _TABLE.update().where(_TABLE.c.id == outbox_id, _TABLE.c.status == "pending")
                .values(attempts=_TABLE.c.attempts + 1, last_error=error)
                .returning(_TABLE.c.attempts, _TABLE.c.payload)
            )).first()
            if row is None:  # finished meanwhile (another delivery): nothing to retry
                return 0, None
            if row.attempts > max_retries:
                await mark_dead(session, outbox_id, name=spec.name, payload=row.payload, reason="retries_exhausted",
                                error=error, attempts=row.attempts)
                return row.attempts, None
            delay = self.backoff_ms(row.attempts)
            lease = utcnow() + timedelta(milliseconds=delay) + self.lease
            await session.execute(_TABLE.update().where(_TABLE.c.id == outbox_id).values(lease_until=lease))
            return row.attempts, delay


async def mark_dead(session: AsyncSession, outbox_id: uuid.UUID, *, name: str, payload: dict[str, Any], reason: str,
                    error: str, attempts: int) -> None:
    """Make a pending row `dead` and record why (one dead letter per row)."""
    await session.execute(
        _TABLE.update().where(_TABLE.c.id == outbox_id, _TABLE.c.status == "pending")
        .values(status="dead", finished_at=utcnow(), last_error=error)
    )
    exists = await session.scalar(select(JobDeadLetter.id).where(JobDeadLetter.outbox_id == outbox_id))
    if exists is None:
        session.add(JobDeadLetter(outbox_id=outbox_id, job_name=name, payload=payload, reason=reason, error=error,
                                  attempts=attempts))
