"""Worker-side middleware: the worker's own database on its event loop, and the dead-letter recorder.

A Dramatiq worker (embedded in `taxrecon serve`, or in `taxrecon worker`) runs async actors on one event-loop thread
(the AsyncIO middleware). Async database pools must not cross event loops, so `WorkerResources` builds the worker's
`Database` and `Executor` inside that loop when the worker boots, and disposes of them when it stops.
"""

from __future__ import annotations

import logging
import uuid

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import Middleware, MiddlewareError, TimeLimitExceeded
from sqlalchemy import select

from app.config import Settings
from app.db import Database
from app.jobs.batch import send_alone
from app.jobs.executor import Executor, JobDeadLettered, describe_error, mark_dead
from app.jobs.models import OutboxMessage
from app.jobs.pacing import Foreground
from app.jobs.sqlite_inline import inline_creator

log = logging.getLogger(__name__)
_TABLE = OutboxMessage.__table__


class WorkerBootError(MiddlewareError):
    """Raised when the worker cannot build its database (it stops the worker from starting)."""


class WorkerResources(Middleware):
    """Owns the worker process's `Executor` (and its `Database`), built on the worker's event loop."""

    def __init__(self, settings: Settings, foreground: Foreground | None = None) -> None:
        self.settings = settings
        self.foreground = foreground
        self.executor: Executor | None = None

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        loop_thread = get_event_loop_thread()
        if loop_thread is None:
            raise WorkerBootError("the AsyncIO middleware must come before WorkerResources")
        try:
            self.executor = loop_thread.run_coroutine(self._open())
        except Exception as exc:
            raise WorkerBootError(f"the worker could not open its database: {describe_error(exc)}") from exc

    async def _open(self) -> Executor:
        if self.settings.is_sqlite:  # see app.jobs.sqlite_inline: no thread hand-off per call on this loop
            database = Database.from_url(self.settings.database_url,
                                         async_creator=inline_creator(self.settings.database_url))
        else:
            database = Database.from_settings(self.settings)
        await database.ping()
        return Executor(self.settings, database, hold_connection=True, foreground=self.foreground)

    @staticmethod
    async def _close(executor: Executor) -> None:
        await executor.close()
        await executor.database.dispose()

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        loop_thread = get_event_loop_thread()
        if self.executor is not None and loop_thread is not None:
            loop_thread.run_coroutine(self._close(self.executor))
        self.executor = None


class DeadLetterRecorder(Middleware):
    """Records the messages Dramatiq gives up on by itself (age limit, the thread-level time limit, retries
    exhausted while the failure could not be recorded): their rows become `dead` with a `job_dead_letters` row.
    Failures the executor already dead-lettered (`JobDeadLettered`) are left alone."""

    def __init__(self, resources: WorkerResources) -> None:
        self.resources = resources
        self.recorded = 0

    def after_process_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy, *,
                              result: object = None, exception: BaseException | None = None) -> None:
        if exception is None or not message.failed or isinstance(exception, JobDeadLettered):
            return
        reason = "time_limit" if isinstance(exception, TimeLimitExceeded) else "retries_exhausted"
        self._record(broker, message, reason, describe_error(exception))

    def after_skip_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        if message.failed:
            self._record(broker, message, "age_limit", "the message exceeded its age limit (job_max_age_ms)")

    def _record(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy, reason: str, error: str) -> None:
        executor = self.resources.executor
        loop_thread = get_event_loop_thread()
        try:
            ids = _outbox_ids(message)
        except (IndexError, TypeError, ValueError):
            log.error("dead message %s has no outbox id; not recorded", message.message_id)
            return
        if len(ids) > 1 and reason != "age_limit":
            _resend_alone(broker, message.actor_name, ids, reason)
            return
        if executor is None or loop_thread is None:
            log.error("dead message for outbox row(s) %s could not be recorded: no worker database",
                      ", ".join(map(str, ids)))
            return
        for outbox_id in ids:
            loop_thread.run_coroutine(record_dead_letter(executor, outbox_id, reason=reason, error=error))
        self.recorded += len(ids)


def _outbox_ids(message: dramatiq.MessageProxy) -> list[uuid.UUID]:
    """The outbox ids a message carries: one, or a batch's list."""
    argument = message.args[0]
    return [uuid.UUID(str(i)) for i in argument] if isinstance(argument, list) else [uuid.UUID(str(argument))]


def _resend_alone(broker: dramatiq.Broker, actor_name: str, ids: list[uuid.UUID], reason: str) -> None:
    """A batch Dramatiq gave up on (its time limit, its retries): each job goes on alone, so that each one's own
    attempts decide its fate, rather than a neighbour's failure making it dead."""
    log.warning("a batch of %d %s job(s) failed (%s); re-sending each alone", len(ids), actor_name, reason)
    send_alone(broker.get_actor(actor_name), ids)


async def record_dead_letter(executor: Executor, outbox_id: uuid.UUID, *, reason: str, error: str) -> bool:
    """Mark a still-pending row dead with a dead letter; False if the row is not pending (nothing to record)."""
    async with executor.transaction() as session:
        row = (await session.execute(
            select(_TABLE.c.name, _TABLE.c.payload, _TABLE.c.attempts)
            .where(_TABLE.c.id == outbox_id, _TABLE.c.status == "pending")
        )).first()
        if row is None:
            return False
        await mark_dead(session, outbox_id, name=row.name, payload=row.payload, reason=reason, error=error,
                        attempts=row.attempts)
    log.error("job %s %s dead-lettered (%s): %s", row.name, outbox_id, reason, error)
    return True
