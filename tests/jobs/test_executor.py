"""The worker's executor on its own: on SQLite it holds one connection between jobs (`hold_connection=True`);
a failing job rolls back alone and drops that connection, the next job runs on a fresh one, and `close()` gives it
back. The same assertions hold on PostgreSQL, where the executor always uses pooled units of work."""

from __future__ import annotations

import pytest

from app.config import Settings
from app.db import Database
from app.jobs.actors import import_all_tasks
from app.jobs.executor import Executor
from app.jobs.outbox import enqueue
from app.jobs.registry import get_job
from tests.jobs.conftest import outbox_row, probe_results


@pytest.fixture
async def worker_executor(job_settings: Settings, db: Database):
    import_all_tasks()
    worker_db = Database.from_settings(job_settings)
    executor = Executor(job_settings, worker_db, hold_connection=True)
    yield executor
    await executor.close()
    assert worker_db.engine.pool.checkedout() == 0  # the held connection went back to the pool
    await worker_db.dispose()


async def test_failure_rolls_back_alone_and_the_next_job_runs(db: Database, worker_executor: Executor) -> None:
    spec = get_job("jobs.probe")
    assert spec is not None
    async with db.unit_of_work() as session:
        failing = enqueue(session, "jobs.probe", {"run": "held", "fail_attempts": 1}).id
        ok = enqueue(session, "jobs.probe", {"run": "held"}).id

    with pytest.raises(Exception, match="failure injected on attempt 1 of 1"):
        await worker_executor.run(spec, failing)
    assert await worker_executor.run(spec, ok) is True
    assert await worker_executor.run(spec, ok) is False  # already done: claims nothing, writes nothing
    assert await worker_executor.run(spec, failing) is True

    assert sorted((r.outbox_id, r.attempt) for r in await probe_results(db, "held")) == sorted(
        [(ok, 1), (failing, 2)])
    failed_row, ok_row = await outbox_row(db, failing), await outbox_row(db, ok)
    assert (failed_row.status, failed_row.attempts) == ("done", 2)
    assert failed_row.last_error == "ProbeFailure: failure injected on attempt 1 of 1"
    assert (ok_row.status, ok_row.attempts, ok_row.last_error) == ("done", 1, None)
