"""Batches of a batchable job (`jobs.probe` is one): one message and one transaction for many jobs, all or nothing,
with the single-job path taking over for the jobs of a batch that rolled back."""

from __future__ import annotations

import uuid

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import select

from app.config import Settings
from app.db import Database
from app.jobs import enqueue, wait_for
from app.jobs.actors import declare_actors, import_all_tasks
from app.jobs.batch import BatchOutcome, run_batch, send_follow_ups
from app.jobs.broker import BrokerTarget
from app.jobs.executor import Executor
from app.jobs.models import OutboxMessage
from app.jobs.registry import get_job
from app.jobs.relay import Relay
from app.jobs.worker import DeadLetterRecorder, WorkerResources
from tests.jobs.conftest import StartRuntime, dead_letters, outbox_row, probe_results


def probe(run: str, **extra: int) -> dict:
    return {"run": run, **extra}


def stub_relay(settings: Settings) -> tuple[StubBroker, Relay]:
    """A relay on a StubBroker nobody consumes, so the messages it sends can be inspected."""
    import_all_tasks()
    broker = StubBroker()
    actors = declare_actors(broker, BrokerTarget.parse(settings), settings, WorkerResources(settings))
    return broker, Relay(broker, actors, settings)


def queued(broker: StubBroker) -> list[dramatiq.Message]:
    queue = broker.queues["default"]
    return [dramatiq.Message.decode(queue.get_nowait()) for _ in range(queue.qsize())]


def test_relay_sends_batchable_jobs_by_the_batch_and_others_one_by_one(settings: Settings) -> None:
    settings = settings.model_copy(update={"job_batch_size": 100})
    broker, relay = stub_relay(settings)
    probes = [(uuid.uuid4(), "jobs.probe") for _ in range(250)]
    syncs = [(uuid.uuid4(), "shopify.sync_shop") for _ in range(3)]

    assert relay.send_now(probes[:120] + syncs + probes[120:]) == 253

    messages = queued(broker)
    batches = [m.args[0] for m in messages if m.actor_name == "jobs.probe"]
    assert [len(b) for b in batches] == [100, 100, 50]
    assert [uuid.UUID(i) for b in batches for i in b] == [i for i, _ in probes]  # enqueue order kept
    assert [m.args for m in messages if m.actor_name == "shopify.sync_shop"] == [(str(i),) for i, _ in syncs]
    spec = get_job("jobs.probe")
    assert spec is not None
    limit = spec.time_limit(settings) + round(settings.job_batch_seconds * 1000) + 5000
    assert {m.options["time_limit"] for m in messages if m.actor_name == "jobs.probe"} == {limit}


def test_a_lone_batchable_job_goes_as_a_plain_message(settings: Settings) -> None:
    broker, relay = stub_relay(settings)
    only = uuid.uuid4()
    relay.send_now([(only, "jobs.probe")])
    assert [m.args for m in queued(broker)] == [(str(only),)]


async def test_a_batch_runs_every_job_once_in_one_transaction(db: Database, start_runtime: StartRuntime) -> None:
    runtime = await start_runtime(job_batch_size=40)
    async with db.unit_of_work() as session:
        ids = [enqueue(session, "jobs.probe", probe("batched")).id for _ in range(100)]

    status = await wait_for(db, ids, timeout=20)

    assert (status["done"], status["pending"], status["dead"]) == (100, 0, 0)
    results = await probe_results(db, "batched")
    assert sorted(r.outbox_id for r in results) == sorted(ids)
    assert {r.attempt for r in results} == {1}
    assert runtime.relay is not None and runtime.relay.sent == 100


async def test_a_failing_job_rolls_its_batch_back_and_every_job_goes_on_alone(
        db: Database, start_runtime: StartRuntime, caplog: pytest.LogCaptureFixture) -> None:
    await start_runtime(job_max_retries=3)
    async with db.unit_of_work() as session:
        good = [enqueue(session, "jobs.probe", probe("mixed")).id for _ in range(10)]
        failing = enqueue(session, "jobs.probe", probe("mixed", fail_attempts=1)).id
        good += [enqueue(session, "jobs.probe", probe("mixed")).id for _ in range(10)]

    status = await wait_for(db, [*good, failing], timeout=20)

    assert (status["done"], status["dead"]) == (21, 0)
    attempts = {r.outbox_id: r.attempt for r in await probe_results(db, "mixed")}
    assert attempts == {**{i: 1 for i in good}, failing: 2}  # the rolled-back batch counted no attempt
    row = await outbox_row(db, failing)
    assert (row.status, row.attempts, row.last_error) == (
        "done", 2, "ProbeFailure: failure injected on attempt 1 of 1")
    assert await dead_letters(db) == []
    assert "a batch of 21 jobs.probe job(s) was rolled back" in caplog.text


async def test_a_batch_past_its_time_starts_no_more_jobs_and_leaves_the_rest_pending(
        db: Database, settings: Settings) -> None:
    async with db.unit_of_work() as session:
        ids = [enqueue(session, "jobs.probe", probe("slow", sleep_ms=20)).id for _ in range(12)]
    executor = Executor(settings.model_copy(update={"job_batch_seconds": 0.05}), db)

    outcome = await run_batch(executor, get_job("jobs.probe"), ids)  # type: ignore[arg-type]

    assert 1 <= outcome.done < 12 and outcome.later == ids[outcome.done:] and outcome.alone == []
    assert sorted(r.outbox_id for r in await probe_results(db, "slow")) == sorted(ids[:outcome.done])
    for later in outcome.later:  # unclaimed: pending, the claim's attempt not counted
        row = await outbox_row(db, later)
        assert (row.status, row.attempts, row.finished_at) == ("pending", 0, None)


async def test_a_failing_job_leaves_nothing_of_its_batch(db: Database, settings: Settings) -> None:
    async with db.unit_of_work() as session:
        ids = [enqueue(session, "jobs.probe", probe("undone")).id for _ in range(3)]
        ids.append(enqueue(session, "jobs.probe", probe("undone", fail_attempts=1)).id)

    outcome = await run_batch(Executor(settings, db), get_job("jobs.probe"), ids)  # type: ignore[arg-type]

    assert (outcome.done, outcome.later, outcome.alone) == (0, [], ids)
    assert await probe_results(db, "undone") == []
    for message_id in ids:
        row = await outbox_row(db, message_id)
        assert (row.status, row.attempts, row.last_error) == ("pending", 0, None)


async def test_a_redelivered_batch_claims_nothing(db: Database, settings: Settings) -> None:
    async with db.unit_of_work() as session:
        ids = [enqueue(session, "jobs.probe", probe("twice")).id for _ in range(5)]
    executor = Executor(settings, db)
    spec = get_job("jobs.probe")
    assert spec is not None

    first = await run_batch(executor, spec, ids)
    second = await run_batch(executor, spec, ids + ids[:2])

    assert (first.done, first.later, first.alone) == (5, [], [])
    assert (second.done, second.later, second.alone) == (0, [], [])
    assert len(await probe_results(db, "twice")) == 5
    async with db.sessionmaker() as session:
        rows = (await session.execute(select(OutboxMessage.status, OutboxMessage.attempts)
                                      .where(OutboxMessage.id.in_(ids)))).all()
    assert set(rows) == {("done", 1)}


def test_follow_ups_send_rolled_back_jobs_alone_and_unstarted_ones_as_a_batch(settings: Settings) -> None:
    broker, relay = stub_relay(settings)
    spec = get_job("jobs.probe")
    assert spec is not None
    alone, later = [uuid.uuid4(), uuid.uuid4()], [uuid.uuid4(), uuid.uuid4(), uuid.uuid4()]

    send_follow_ups(relay.actors["jobs.probe"], spec, BatchOutcome(alone=alone, later=later), settings)

    assert [m.args for m in queued(broker)] == [(str(alone[0]),), (str(alone[1]),), ([str(i) for i in later],)]


def test_a_batch_dramatiq_gives_up_on_is_sent_on_job_by_job(settings: Settings) -> None:
    broker, relay = stub_relay(settings)
    ids = [uuid.uuid4() for _ in range(3)]
    message = relay.actors["jobs.probe"].message([str(i) for i in ids])
    proxy = dramatiq.MessageProxy(message)
    proxy.fail()
    recorder = DeadLetterRecorder(WorkerResources(settings))

    recorder.after_process_message(broker, proxy, exception=TimeoutError("thread time limit"))

    assert [m.args for m in queued(broker)] == [(str(i),) for i in ids]
    assert recorder.recorded == 0

