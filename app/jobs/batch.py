"""Batches: many small jobs of one kind run in one transaction, all or nothing.

Why: a job that writes one row costs far more in hand-offs than in work. Each Dramatiq message passes from the
consumer thread to a worker thread to the worker's event loop and back, and each job transaction ends in a commit.
With thousands of jobs enqueued together (a webhook burst, a probe), those costs bound the embedded worker to a few
hundred jobs per second. So the relay (`app.jobs.relay`) sends up to `job_batch_size` ids of one batchable job
(`@job(..., batch=True)`: short, its effects in the database only) as one message, and `run_batch`:
1. claims the ids in chunks of doubling size, one statement each (`UPDATE … SET status='done',
   attempts=attempts+1 WHERE id IN (…) AND status='pending' RETURNING …`; on PostgreSQL only the rows it can lock,
   `FOR UPDATE SKIP LOCKED`);
2. runs the claimed jobs in the order they were enqueued, each with its own time limit, in the one transaction;
3. commits once: the effects and done-marks of every job, atomically and exactly once (a redelivered batch message
   claims nothing). Once the batch has run `job_batch_seconds` it starts no more jobs (on SQLite its transaction
   holds the one write lock, which webhook intake waits for): the unstarted ones are unclaimed in the same
   transaction, or never claimed, and re-sent as a new batch after the commit.
If any job fails, or the commit does, the whole transaction rolls back and every id is re-sent alone: from then on
each takes the single-job path (`Executor.run`), which records its own attempts, retries and dead letter. Nothing
of a failed batch is kept, so no effect happens twice; the jobs that had succeeded simply run again alone, which
is why only database-only jobs may be batched (a remote call would be repeated). Savepoints per job would keep the
good neighbours, but cost two statements per job on every batch to save work only on the rare failing one.
Whatever cannot be sent after a commit stays pending and the sweeper re-sends it when its lease ends.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import dramatiq
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import utcnow
from app.jobs.broker import TIME_LIMIT_GRACE_MS
from app.jobs.executor import Executor, describe_error
from app.jobs.models import OutboxMessage
from app.jobs.registry import JobSpec

log = logging.getLogger(__name__)
_TABLE = OutboxMessage.__table__


def _claim_statement(*, skip_locked: bool) -> Any:
    condition = _TABLE.c.id.in_(bindparam("ids", expanding=True)) & (_TABLE.c.status == "pending")
    if skip_locked:
        condition = _TABLE.c.id.in_(select(_TABLE.c.id).where(condition).with_for_update(skip_locked=True)
                                    .scalar_subquery())
    return (_TABLE.update().where(condition)
            .values(status="done", attempts=_TABLE.c.attempts + 1, finished_at=bindparam("now"))
            .returning(_TABLE.c.id, _TABLE.c.payload, _TABLE.c.attempts))


_CLAIM = _claim_statement(skip_locked=False)
_CLAIM_LOCKED = _claim_statement(skip_locked=True)
# Jobs a batch claimed but did not start: pending again, and the claim's attempt is not counted.
_UNCLAIM = (_TABLE.update().where(_TABLE.c.id.in_(bindparam("ids", expanding=True)))
            .values(status="pending", attempts=_TABLE.c.attempts - 1, finished_at=None))


@dataclass
class BatchOutcome:
    done: int = 0
    later: list[uuid.UUID] = field(default_factory=list)  # claimed but not started: re-send as a batch
    alone: list[uuid.UUID] = field(default_factory=list)  # the batch rolled back: re-send each alone


async def run_batch(executor: Executor, spec: JobSpec, ids: list[uuid.UUID]) -> BatchOutcome:
    """Run the pending jobs among `ids` (all of job `spec`) in one transaction; see the module docstring."""
    ids = list(dict.fromkeys(ids))
    outcome = BatchOutcome()
    try:
        async with executor.transaction() as session:
            await _run_claimed(executor, spec, session, ids, outcome)
    except Exception as exc:
        log.warning("a batch of %d %s job(s) was rolled back (%s); each is re-sent alone", len(ids), spec.name,
                    describe_error(exc))
        return BatchOutcome(alone=ids)
    return outcome


async def _run_claimed(executor: Executor, spec: JobSpec, session: AsyncSession, ids: list[uuid.UUID],
                       outcome: BatchOutcome) -> None:
    """Claim in chunks of doubling size (1, 2, 4, …): a batch of slow jobs claims little more than it runs, a batch
    of quick ones needs few statements. Past the deadline, the unstarted part of the chunk is unclaimed."""
    connection = await session.connection()
    claim = _CLAIM_LOCKED if connection.dialect.name == "postgresql" else _CLAIM
    deadline = time.monotonic() + executor.settings.job_batch_seconds
    start, size = 0, 1
    while start < len(ids):
        chunk, start, size = ids[start:start + size], start + size, size * 2
        rows = await connection.execute(claim, {"ids": chunk, "now": utcnow()})
        claimed = {row.id: (row.payload, row.attempts) for row in rows}
        for position, outbox_id in enumerate(chunk):
            if outbox_id not in claimed:
                continue  # done, dead or locked by another delivery
            if time.monotonic() >= deadline:
                unstarted = [i for i in chunk[position:] if i in claimed]
                await connection.execute(_UNCLAIM, {"ids": unstarted})
                outcome.later = unstarted + ids[start:]
                return
            await _run_one(executor, spec, session, outbox_id, *claimed[outbox_id])
            outcome.done += 1


async def _run_one(executor: Executor, spec: JobSpec, session: AsyncSession, outbox_id: uuid.UUID,
                   payload: dict[str, Any], attempt: int) -> None:
    try:
        await executor.handle(spec, session, outbox_id, payload, attempt)
    except Exception as exc:
        raise BatchJobFailed(f"job {outbox_id} failed: {describe_error(exc)}") from exc


class BatchJobFailed(Exception):
    """One job of a batch failed: the batch rolls back and its jobs go on alone."""


def batch_message(actor: dramatiq.Actor, spec: JobSpec, ids: list[uuid.UUID], settings: Settings) -> dramatiq.Message:
    """One message for a batch: its thread-level time limit covers the batch's own bound plus one job's limit."""
    limit = spec.time_limit(settings) + round(settings.job_batch_seconds * 1000) + TIME_LIMIT_GRACE_MS
    return actor.message_with_options(args=([str(i) for i in ids],), time_limit=limit)


def send_alone(actor: dramatiq.Actor, ids: list[uuid.UUID]) -> None:
    """One message per job: each takes the single-job path, whose own attempts decide its retries and dead letter."""
    for outbox_id in ids:
        actor.broker.enqueue(actor.message(str(outbox_id)))


def send_follow_ups(actor: dramatiq.Actor, spec: JobSpec, outcome: BatchOutcome, settings: Settings) -> None:
    """After the batch's transaction: each job of a rolled-back batch alone, the jobs not started as a new batch."""
    send_alone(actor, outcome.alone)
    if outcome.later:
        actor.broker.enqueue(batch_message(actor, spec, outcome.later, settings))
