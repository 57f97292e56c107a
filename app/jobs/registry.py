"""The job registry: `@job("domain.verb")` registers an async handler; nothing touches Dramatiq at import time.

Design: registering is pure bookkeeping. `JobRuntime` builds the broker first and then declares one Dramatiq actor
per registered job on that broker (`app.jobs.actors.declare_actors`), so the "set the broker before any actor is
declared" trap of Dramatiq cannot happen, and tests may build several runtimes in one process.
A message carries only the outbox row id; the payload is read from the database in the job's own transaction.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import Database

if TYPE_CHECKING:
    from app.jobs.models import OutboxMessage

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
QUEUE_PATTERN = re.compile(r"^[a-z][a-z0-9_\-]{0,40}$")


@dataclass
class JobContext:
    """What a handler gets besides its payload.

    `session` is the transaction that also marks the outbox row done: everything the handler writes through it
    commits atomically with the done-mark (exactly-once effects in the database). Handlers never commit.
    """

    session: AsyncSession
    settings: Settings
    database: Database
    message_id: uuid.UUID
    name: str
    attempt: int
    fetched: Any = None  # what the job's fetch phase returned (jobs declared with `fetch=`), else None

    def enqueue(self, name: str, payload: dict[str, Any], key: str | None = None) -> OutboxMessage:
        """A follow-up job in the same transaction (sent only if this job's transaction commits)."""
        from app.jobs.outbox import enqueue

        return enqueue(self.session, name, payload, key=key)


Handler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class FetchContext:
    """What a fetch phase gets: no session. It may read through `database` (its own short sessions) and call
    remote services, and must not write to the database: its result reaches the handler, which writes."""

    settings: Settings
    database: Database
    message_id: uuid.UUID
    name: str
    attempt: int


Fetcher = Callable[[FetchContext, dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    handler: Handler
    queue: str
    max_retries: int | None
    time_limit_ms: int | None
    batch: bool = False
    fetch: Fetcher | None = None

    def retries(self, settings: Settings) -> int:
        return settings.job_max_retries if self.max_retries is None else self.max_retries

    def time_limit(self, settings: Settings) -> int:
        return settings.job_time_limit_ms if self.time_limit_ms is None else self.time_limit_ms


_REGISTRY: dict[str, JobSpec] = {}


def job(name: str, *, queue: str = "default", max_retries: int | None = None, time_limit_ms: int | None = None,
        batch: bool = False, fetch: Fetcher | None = None) -> Callable[[Handler], Handler]:
    """Register `async def handler(ctx: JobContext, payload: dict) -> None` under the dotted name `domain.verb`.

    `batch=True` declares the job short and its effects database-only, so that several of its jobs enqueued
    together may run in one all-or-nothing transaction (`app.jobs.batch`; after a failure each runs again alone).
    Jobs that call remote services (Shopify, an ERP) or run long stay unbatched: a neighbour's failure must never
    repeat their calls, and one transaction must not hold SQLite's write lock for long.

    `fetch=` gives such a job a phase that runs before its transaction: `async def fetch(ctx: FetchContext,
    payload) -> Any` does the remote calls and the waiting (throttles, polls), and the handler finds its result in
    `ctx.fetched` and only writes. The job's transaction, which on SQLite holds the one write lock from its claim
    on, then never waits on the network (webhook intake needs that lock within Shopify's 5 s). A fetch may run
    more than once for one job (redelivery, retry), so it only reads, or makes idempotent remote calls."""
    if batch and fetch is not None:
        raise ValueError(f"job {name!r}: a batched job is database-only and has no fetch phase")
    if not NAME_PATTERN.match(name):
        raise ValueError(f"job names are dotted lower-case 'domain.verb', not {name!r}")
    if not QUEUE_PATTERN.match(queue):
        raise ValueError(f"queue names are short lower-case words, not {queue!r}")
    if max_retries is not None and max_retries < 0:
        raise ValueError("max_retries must be >= 0")

    def decorator(handler: Handler) -> Handler:
        import inspect

        if not inspect.iscoroutinefunction(handler):
            raise TypeError(f"job {name!r}: the handler must be an async function")
        existing = _REGISTRY.get(name)
        if existing is not None and existing.handler is not handler and (
            existing.handler.__module__, existing.handler.__qualname__
        ) != (handler.__module__, handler.__qualname__):
            raise ValueError(f"job {name!r} is already registered by {existing.handler.__module__}")
        _REGISTRY[name] = JobSpec(name, handler, queue, max_retries, time_limit_ms, batch, fetch)
        return handler

    return decorator


def get_job(name: str) -> JobSpec | None:
    return _REGISTRY.get(name)


def registered_jobs() -> dict[str, JobSpec]:
    return dict(_REGISTRY)


def unregister(name: str) -> None:
    """Remove a job (tests that register throw-away handlers clean up with this)."""
    _REGISTRY.pop(name, None)
