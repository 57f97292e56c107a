"""Fixtures for the job layer: a started `JobRuntime` (StubBroker + in-process worker by default) on the test
database, with fast retries and short leases."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import func, select

from app.config import Settings
from app.db import Database
from app.jobs import JobRuntime
from app.jobs.models import JobDeadLetter, JobProbeResult, OutboxMessage
from tests.conftest import make_settings

FAST_JOBS = {
    "job_min_backoff_ms": 10,
    "job_max_backoff_ms": 50,
    "job_max_retries": 2,
    "outbox_lease_seconds": 5,
    "outbox_sweep_interval_seconds": 0.1,
    "worker_threads": 4,
}

StartRuntime = Callable[..., Awaitable[JobRuntime]]


def closed_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def job_settings(database_url: str) -> Settings:
    return make_settings(database_url, **FAST_JOBS)


@pytest.fixture
async def start_runtime(database_url: str) -> AsyncIterator[StartRuntime]:
    """`await start_runtime(**settings_overrides)` → a started runtime on its own Database; stopped at teardown."""
    started: list[tuple[JobRuntime, Database]] = []

    async def start(*, embedded_worker: bool = True, **overrides: object) -> JobRuntime:
        settings = make_settings(database_url, **{**FAST_JOBS, **overrides})
        database = Database.from_settings(settings)
        runtime = JobRuntime.from_settings(settings, database)
        await runtime.start(embedded_worker=embedded_worker)
        started.append((runtime, database))
        return runtime

    yield start
    for runtime, database in reversed(started):
        await runtime.stop()
        await database.dispose()


async def outbox_row(db: Database, message_id: uuid.UUID) -> OutboxMessage:
    async with db.sessionmaker() as session:
        row = await session.get(OutboxMessage, message_id)
        assert row is not None
        return row


async def probe_results(db: Database, run_id: str) -> list[JobProbeResult]:
    async with db.sessionmaker() as session:
        return list((await session.scalars(select(JobProbeResult).where(JobProbeResult.run_id == run_id))).all())


async def dead_letters(db: Database) -> list[JobDeadLetter]:
    async with db.sessionmaker() as session:
        return list((await session.scalars(select(JobDeadLetter))).all())


async def count_outbox(db: Database, **filters: object) -> int:
    async with db.sessionmaker() as session:
        query = select(func.count()).select_from(OutboxMessage)
        for name, value in filters.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        return int(await session.scalar(query) or 0)
