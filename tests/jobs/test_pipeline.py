"""The whole path with the real machinery (StubBroker + in-process Dramatiq worker + the test database):
relay after commit, done-marking, retries, dead letters, the sweeper, redelivery and concurrent duplicates."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from app.db import Database
from app.jobs import enqueue, wait_for
from tests.jobs.conftest import StartRuntime, dead_letters, outbox_row, probe_results


def probe(run: str, **extra: int) -> dict:
    return {"run": run, **extra}


async def test_committed_job_runs_once_and_is_marked_done(db: Database, start_runtime: StartRuntime) -> None:
    runtime = await start_runtime()
    async with db.unit_of_work() as session:
        message = enqueue(session, "jobs.probe", probe("basic"))

    status = await wait_for(db, [message.id], timeout=10)

    assert status["finished"] and status["done"] == 1
    row = await outbox_row(db, message.id)
    assert (row.status, row.attempts, row.last_error, row.resends) == ("done", 1, None, 0)
    assert row.finished_at is not None
    assert [(r.outbox_id, r.attempt) for r in await probe_results(db, "basic")] == [(message.id, 1)]
    assert runtime.relay is not None and runtime.relay.sent == 1


async def test_relay_sends_a_whole_transaction_as_one_batch(db: Database, start_runtime: StartRuntime) -> None:
    runtime = await start_runtime()
    async with db.unit_of_work() as session:
        ids = [enqueue(session, "jobs.probe", probe("batch")).id for _ in range(25)]

    status = await wait_for(db, ids, timeout=10)

    assert (status["done"], status["pending"], status["dead"]) == (25, 0, 0)
    assert sorted(r.outbox_id for r in await probe_results(db, "batch")) == sorted(ids)
    assert runtime.relay is not None and runtime.relay.sent == 25


async def test_failing_job_is_retried_with_backoff_then_succeeds(db: Database, start_runtime: StartRuntime) -> None:
    await start_runtime(job_max_retries=3)
    async with db.unit_of_work() as session:
        message = enqueue(session, "jobs.probe", probe("retry", fail_attempts=2))

    await wait_for(db, [message.id], timeout=10)

    row = await outbox_row(db, message.id)
    assert (row.status, row.attempts) == ("done", 3)
    assert row.last_error == "ProbeFailure: failure injected on attempt 2 of 2"
    assert [r.attempt for r in await probe_results(db, "retry")] == [3]
    assert await dead_letters(db) == []


async def test_exhausted_retries_dead_letter_the_job(db: Database, start_runtime: StartRuntime) -> None:
    await start_runtime(job_max_retries=2)
    async with db.unit_of_work() as session:
        message = enqueue(session, "jobs.probe", probe("dead", fail_attempts=50))

    status = await wait_for(db, [message.id], timeout=10)

    assert (status["dead"], status["done"]) == (1, 0)
    row = await outbox_row(db, message.id)
    assert (row.status, row.attempts) == ("dead", 3)
    [letter] = await dead_letters(db)
    assert (letter.outbox_id, letter.job_name, letter.reason, letter.attempts, letter.payload) == (
        message.id, "jobs.probe", "retries_exhausted", 3, probe("dead", fail_attempts=50))
    assert letter.error == "ProbeFailure: failure injected on attempt 3 of 50"
    assert await probe_results(db, "dead") == []


async def test_follow_up_jobs_are_sent_only_when_the_job_commits(db: Database, start_runtime: StartRuntime) -> None:
    from app.jobs import job
    from app.jobs.registry import unregister

    @job("testjobs.fanout")
    async def fanout(ctx, payload):  # type: ignore[no-untyped-def]
        for _ in range(payload["n"]):
            ctx.enqueue("jobs.probe", {"run": "fanout"})

    try:
        await start_runtime()
        async with db.unit_of_work() as session:
            message = enqueue(session, "testjobs.fanout", {"n": 3})
        await wait_for(db, [message.id], timeout=10)
        for _ in range(100):
            if len(await probe_results(db, "fanout")) == 3:
                break
            await asyncio.sleep(0.05)
        assert len(await probe_results(db, "fanout")) == 3
    finally:
        unregister("testjobs.fanout")


async def test_redelivery_of_a_done_message_does_nothing(db: Database, start_runtime: StartRuntime) -> None:
    runtime = await start_runtime()
    async with db.unit_of_work() as session:
        message = enqueue(session, "jobs.probe", probe("redeliver"))
    await wait_for(db, [message.id], timeout=10)
    assert runtime.relay is not None and runtime.worker is not None

    runtime.relay.send_now([(message.id, "jobs.probe")] * 3)  # the broker delivers it again, three times
    await asyncio.to_thread(runtime.broker.join, "default", timeout=10_000)
    await asyncio.to_thread(runtime.worker.join)

    row = await outbox_row(db, message.id)
    assert (row.status, row.attempts, row.last_error) == ("done", 1, None)
    assert len(await probe_results(db, "redeliver")) == 1


async def test_concurrent_duplicate_deliveries_have_one_effect(db: Database, start_runtime: StartRuntime) -> None:
    runtime = await start_runtime(worker_threads=4)
    async with db.sessionmaker() as session:  # committed without the after-commit send
        message = enqueue(session, "jobs.probe", probe("dupes", sleep_ms=300))
        await session.commit()
    assert runtime.relay is not None and runtime.worker is not None

    runtime.relay.send_now([(message.id, "jobs.probe")] * 4)  # four threads pick it up at once
    await asyncio.to_thread(runtime.broker.join, "default", timeout=10_000)
    await asyncio.to_thread(runtime.worker.join)

    row = await outbox_row(db, message.id)
    assert (row.status, row.attempts, row.last_error) == ("done", 1, None)
    assert len(await probe_results(db, "dupes")) == 1


async def test_sweeper_resends_a_lost_message_after_its_lease(db: Database, start_runtime: StartRuntime) -> None:
    await start_runtime(outbox_lease_seconds=1.0)
    async with db.sessionmaker() as session:  # committed, but the process "died" before the after-commit send
        message = enqueue(session, "jobs.probe", probe("lost"))
        await session.commit()

    await asyncio.sleep(0.6)
    assert (await outbox_row(db, message.id)).status == "pending"  # nobody sent it; its lease still holds

    status = await wait_for(db, [message.id], timeout=10)
    assert status["done"] == 1
    row = await outbox_row(db, message.id)
    assert (row.status, row.attempts, row.resends) == ("done", 1, 1)


async def test_start_resends_every_pending_row(db: Database, start_runtime: StartRuntime) -> None:
    async with db.unit_of_work() as session:  # written while no process was running
        ids = [enqueue(session, "jobs.probe", probe("restart")).id for _ in range(10)]

    runtime = await start_runtime(outbox_sweep_interval_seconds=30)  # only the start-up pass can send them
    status = await wait_for(db, ids, timeout=10)

    assert status["done"] == 10
    assert runtime.sweeper is not None and runtime.sweeper.resent == 10


async def test_time_limit_cancels_the_handler_and_dead_letters(db: Database, start_runtime: StartRuntime) -> None:
    from app.jobs import job
    from app.jobs.registry import unregister

    @job("testjobs.sleepy", max_retries=0, time_limit_ms=100)
    async def sleepy(ctx, payload):  # type: ignore[no-untyped-def]
        ctx.session.add(__import__("app.jobs.models", fromlist=["JobProbeResult"]).JobProbeResult(
            outbox_id=ctx.message_id, run_id="sleepy", attempt=ctx.attempt))
        await asyncio.sleep(5)

    try:
        await start_runtime()
        async with db.unit_of_work() as session:
            message = enqueue(session, "testjobs.sleepy", {})
        status = await wait_for(db, [message.id], timeout=10)
    finally:
        unregister("testjobs.sleepy")

    assert status["dead"] == 1
    assert (await outbox_row(db, message.id)).last_error == (
        "JobTimeLimitExceeded: the job ran longer than its time limit of 100 ms")
    assert await probe_results(db, "sleepy") == []  # the effect written before the timeout was rolled back
    [letter] = await dead_letters(db)
    assert (letter.reason, letter.attempts) == ("retries_exhausted", 1)


async def test_age_limit_dead_letters_a_stale_message(db: Database, start_runtime: StartRuntime) -> None:
    runtime = await start_runtime(job_max_age_ms=1000)
    async with db.sessionmaker() as session:
        message = enqueue(session, "jobs.probe", probe("stale"))
        await session.commit()
    assert runtime.broker is not None and runtime.worker is not None

    stale = runtime.actors["jobs.probe"].message(str(message.id))
    runtime.broker.enqueue(stale.copy(message_timestamp=stale.message_timestamp - 60_000))
    await asyncio.to_thread(runtime.broker.join, "default", timeout=10_000)
    await asyncio.to_thread(runtime.worker.join)

    row = await outbox_row(db, message.id)
    assert (row.status, row.attempts) == ("dead", 0)
    [letter] = await dead_letters(db)
    assert (letter.outbox_id, letter.reason) == (message.id, "age_limit")


async def test_unknown_outbox_id_is_acknowledged_without_effect(db: Database, start_runtime: StartRuntime) -> None:
    runtime = await start_runtime()
    assert runtime.relay is not None and runtime.worker is not None
    runtime.relay.send_now([(uuid.uuid4(), "jobs.probe")])
    await asyncio.to_thread(runtime.broker.join, "default", timeout=10_000)
    await asyncio.to_thread(runtime.worker.join)
    assert await dead_letters(db) == []


async def test_memory_broker_without_a_worker_only_writes_jobs(db: Database, start_runtime: StartRuntime) -> None:
    runtime = await start_runtime(embedded_worker=False)
    assert runtime.relay is None and runtime.sweeper is None  # nobody could consume this process's StubBroker
    async with db.unit_of_work() as session:
        message = enqueue(session, "jobs.probe", probe("writer-only"))

    row = await outbox_row(db, message.id)
    assert row.status == "pending" and row.lease_until <= row.created_at  # due at once for a worker's sweeper

    await start_runtime()  # a process with the embedded worker picks it up
    assert (await wait_for(db, [message.id], timeout=10))["done"] == 1


async def test_a_worker_that_cannot_open_its_database_is_a_clear_start_error(database_url: str, db: Database) -> None:
    from app.errors import ConfigurationError
    from app.jobs import JobRuntime
    from app.jobs.relay import active_relay
    from tests.conftest import make_settings
    from tests.jobs.conftest import closed_port

    settings = make_settings(f"postgresql://taxrecon:pw-secret@127.0.0.1:{closed_port()}/nowhere")
    runtime = JobRuntime.from_settings(settings, db)  # the API side is fine; the worker's own database is not

    with pytest.raises(ConfigurationError) as caught:
        await runtime.start(embedded_worker=True)

    assert caught.value.code == "WORKER_BOOT"
    assert caught.value.message.startswith("the worker could not open its database: OperationalError")
    assert "pw-secret" not in caught.value.message
    assert active_relay() is None and runtime.broker is None and runtime.worker is None
    healthy = JobRuntime.from_settings(make_settings(database_url), db)  # nothing was left behind
    await healthy.start(embedded_worker=True)
    await healthy.stop()
