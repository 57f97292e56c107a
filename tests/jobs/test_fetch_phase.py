"""A job's fetch phase (`job(fetch=...)`): it runs before the job's transaction, on the pending row's payload, and
its result reaches the handler, which writes. While it runs no transaction is open, so on SQLite another writer
(webhook intake) gets the write lock; a failing fetch is a failed attempt like any other; a done row fetches nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from dramatiq.errors import Retry

from app.config import Settings
from app.db import Database
from app.jobs import FetchContext, JobContext, job
from app.jobs.executor import Executor
from app.jobs.models import JobProbeResult
from app.jobs.outbox import enqueue
from app.jobs.registry import get_job, unregister
from tests.conftest import sqlite_path, sqlite_write_lock_free
from tests.jobs.conftest import outbox_row, probe_results

NAME = "tests.fetching"


class Recorder:
    def __init__(self) -> None:
        self.fetches: list[tuple[dict[str, Any], int]] = []
        self.row_status_during_fetch: list[str] = []
        self.write_lock_free_during_fetch: list[bool] = []
        self.fail_fetches = 0
        self.database_path: str | None = None
        self.db: Database | None = None


@pytest.fixture
def recorder(db: Database) -> Iterator[Recorder]:
    state = Recorder()
    state.db = db
    state.database_path = sqlite_path(db)

    async def fetch(ctx: FetchContext, payload: dict[str, Any]) -> dict[str, Any]:
        state.fetches.append((payload, ctx.attempt))
        state.row_status_during_fetch.append((await outbox_row(ctx.database, ctx.message_id)).status)
        if state.database_path is not None:
            state.write_lock_free_during_fetch.append(sqlite_write_lock_free(state.database_path))
        if len(state.fetches) <= state.fail_fetches:
            raise ConnectionError("the remote service is down")
        return {"answer": payload["question"] * 2}

    @job(NAME, fetch=fetch)
    async def handler(ctx: JobContext, payload: dict[str, Any]) -> None:
        ctx.session.add(JobProbeResult(outbox_id=ctx.message_id, run_id=f"fetched-{ctx.fetched['answer']}",
                                       attempt=ctx.attempt))

    yield state
    unregister(NAME)


async def _enqueue(db: Database, payload: dict[str, Any]) -> uuid.UUID:
    async with db.unit_of_work() as session:
        return enqueue(session, NAME, payload).id


async def test_the_handler_gets_what_the_fetch_returned(db: Database, job_settings: Settings,
                                                        recorder: Recorder) -> None:
    spec = get_job(NAME)
    assert spec is not None and spec.fetch is not None
    message = await _enqueue(db, {"question": 21})
    executor = Executor(job_settings, db, hold_connection=True)
    try:
        assert await executor.run(spec, message) is True
        assert await executor.run(spec, message) is False  # done: no second fetch
    finally:
        await executor.close()
    assert recorder.fetches == [({"question": 21}, 1)]
    assert recorder.row_status_during_fetch == ["pending"]  # fetched before the claim
    assert [(r.outbox_id, r.attempt) for r in await probe_results(db, "fetched-42")] == [(message, 1)]
    assert (await outbox_row(db, message)).status == "done"


async def test_no_write_lock_is_held_while_fetching(db: Database, job_settings: Settings,
                                                   recorder: Recorder) -> None:
    if recorder.database_path is None:
        pytest.skip("SQLite's single write lock only")
    spec = get_job(NAME)
    assert spec is not None
    executor = Executor(job_settings, db, hold_connection=True)
    try:
        for question in (1, 2, 3):  # the held connection has committed earlier jobs: still nothing held
            assert await executor.run(spec, await _enqueue(db, {"question": question})) is True
    finally:
        await executor.close()
    assert recorder.write_lock_free_during_fetch == [True, True, True]


async def test_a_failing_fetch_is_a_failed_attempt_then_retried(db: Database, job_settings: Settings,
                                                                 recorder: Recorder) -> None:
    spec = get_job(NAME)
    assert spec is not None
    recorder.fail_fetches = 1
    message = await _enqueue(db, {"question": 5})
    executor = Executor(job_settings, db)
    with pytest.raises(Retry):
        await executor.run(spec, message)
    failed = await outbox_row(db, message)
    assert (failed.status, failed.attempts) == ("pending", 1)
    assert failed.last_error == "ConnectionError: the remote service is down"
    assert await probe_results(db, "fetched-10") == []  # nothing written for the failed attempt

    assert await executor.run(spec, message) is True
    assert [attempt for _, attempt in recorder.fetches] == [1, 2]
    assert [r.attempt for r in await probe_results(db, "fetched-10")] == [2]


def test_a_batched_job_cannot_have_a_fetch_phase() -> None:
    async def fetch(ctx: FetchContext, payload: dict[str, Any]) -> None:
        return None

    with pytest.raises(ValueError, match="database-only and has no fetch phase"):
        job("tests.batched_fetch", batch=True, fetch=fetch)
