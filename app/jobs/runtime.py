"""`JobRuntime`: the job layer of one process (API, worker or CLI).

`start(embedded_worker=...)`:
1. imports every job module and builds the broker with its middleware, then declares the actors on it;
2. checks that the broker is reachable (a clear ConfigurationError naming the URL without its password);
3. activates the relay (after-commit sends of this process go through it);
4. with `embedded_worker`, starts a Dramatiq `Worker` in this process (threads = settings.worker_threads) — with
   `memory://` this is the only consumer there is; with Redis/RabbitMQ it is what `taxrecon worker` runs;
5. starts the sweeper on the caller's event loop. With `memory://` its first pass re-sends every pending row at
   once: whatever the StubBroker held died with the previous process.
With `memory://` and no embedded worker nobody could consume this process's queues, so steps 3-5 are skipped: the
process only writes jobs, which the sweeper of the process running the embedded worker picks up.
`stop()` reverses this; jobs in flight finish (or, if killed, stay pending and are re-sent on the next start).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import dramatiq
from dramatiq.asyncio import get_event_loop_thread, set_event_loop_thread

from app.config import Settings
from app.db import Database
from app.errors import ConfigurationError
from app.jobs import relay as relay_module
from app.jobs.actors import declare_actors, import_all_tasks
from app.jobs.broker import BrokerTarget, build_broker, build_middleware, ping_broker, redacted_url
from app.jobs.pacing import Foreground
from app.jobs.relay import Relay, Sweeper
from app.jobs.worker import DeadLetterRecorder, WorkerBootError, WorkerResources

log = logging.getLogger(__name__)
WORKER_IDLE_TIMEOUT_MS = 100


class JobRuntime:
    def __init__(self, settings: Settings, database: Database, foreground: Foreground | None = None) -> None:
        self.settings = settings
        self.database = database
        self.target = BrokerTarget.parse(settings)
        self.resources = WorkerResources(settings, foreground)
        self.dead_letters = DeadLetterRecorder(self.resources)
        self.broker: dramatiq.Broker | None = None
        self.actors: dict[str, dramatiq.Actor] = {}
        self.relay: Relay | None = None
        self.sweeper: Sweeper | None = None
        self.worker: dramatiq.Worker | None = None
        self._sweep_task: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, database: Database,
                      foreground: Foreground | None = None) -> JobRuntime:
        """`foreground`: the requests of this (API) process, to which an embedded worker gives way
        (`app.jobs.pacing`)."""
        return cls(settings, database, foreground)

    @property
    def embedded(self) -> bool:
        return self.worker is not None

    async def start(self, *, embedded_worker: bool) -> None:
        if self.broker is not None:
            raise RuntimeError("JobRuntime already started")
        import_all_tasks()
        middleware = build_middleware(self.settings, [self.resources, self.dead_letters])
        broker = build_broker(self.settings, self.target, middleware)
        try:
            await asyncio.to_thread(ping_broker, broker, self.settings)
        except ConfigurationError:
            await asyncio.to_thread(broker.close)
            raise
        self.broker = broker
        try:
            await self._start_parts(embedded_worker)
        except BaseException:
            await self.stop()
            raise

    async def _start_parts(self, embedded_worker: bool) -> None:
        broker = self.broker
        assert broker is not None
        self.actors = declare_actors(broker, self.target, self.settings, self.resources)
        if self.target.kind == "memory" and not embedded_worker:
            # Nobody could consume this process's StubBroker: no relay, no sweeper. Rows enqueued here are due at
            # once for the process that runs the embedded worker (its sweeper sends them).
            log.warning("jobs: memory:// broker without an embedded worker: this process only writes jobs; "
                        "a `taxrecon serve` with its embedded worker runs them")
            return
        self.relay = Relay(broker, self.actors, self.settings)
        # Rows enqueued from now on get leases >= this cutoff, so the start-up pass re-sends only older rows.
        resend_before = self.relay.lease_until() if self.target.kind == "memory" else None
        relay_module.activate(self.relay)
        if embedded_worker:
            await asyncio.to_thread(self._start_worker)
        self.sweeper = Sweeper(self.database, self.relay, self.settings, self.resources.foreground)
        self._sweep_task = asyncio.create_task(
            self.sweeper.run(resend_before=resend_before), name="outbox-sweeper")
        log.info("jobs: %s broker at %s, %d job(s), %s", self.target.kind, redacted_url(self.settings.broker_url),
                 len(self.actors), "worker in this process" if embedded_worker else "no worker in this process")

    def _start_worker(self) -> None:
        assert self.broker is not None
        self.broker.emit_after("process_boot")  # starts the TimeLimit watchdog (the dramatiq CLI would do this)
        worker = dramatiq.Worker(self.broker, worker_threads=self.settings.worker_threads,
                                 worker_timeout=WORKER_IDLE_TIMEOUT_MS)
        try:
            worker.start()
        except WorkerBootError as exc:
            loop_thread = get_event_loop_thread()  # the AsyncIO middleware started it before we failed
            if loop_thread is not None:
                loop_thread.stop()
                set_event_loop_thread(None)
            raise ConfigurationError(str(exc), code="WORKER_BOOT") from None
        self.worker = worker

    async def stop(self) -> None:
        if self._sweep_task is not None:
            self._sweep_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweep_task
            self._sweep_task = None
            if self.sweeper is not None:
                await self.sweeper.finish()
        if self.relay is not None:
            relay_module.deactivate(self.relay)
        if self.worker is not None:
            await asyncio.to_thread(self.worker.stop, 30_000)
            self.worker = None
        if self.relay is not None:
            await asyncio.to_thread(self.relay.close)
        if self.broker is not None:
            await asyncio.to_thread(self.broker.close)
            self.broker = None

    async def ping(self) -> None:
        """Raise ConfigurationError when the broker is unreachable (for /readyz, and as a pre-flight check before
        `start`, with a throw-away connection)."""
        if self.broker is not None:
            if self.relay is not None:  # the relay's thread: one broker connection for sends and pings
                await self.relay.call(ping_broker, self.broker, self.settings)
            else:
                await asyncio.to_thread(ping_broker, self.broker, self.settings)
            return
        broker = build_broker(self.settings, self.target, [])
        try:
            await asyncio.to_thread(ping_broker, broker, self.settings)
        finally:
            await asyncio.to_thread(broker.close)

    async def sweep_now(self) -> int:
        """Run one sweep immediately (tests, CLI); returns how many rows were re-sent."""
        if self.sweeper is None:
            raise RuntimeError("JobRuntime not started")
        return await self.sweeper.sweep()
