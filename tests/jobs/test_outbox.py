"""The outbox without a running worker: what `enqueue` writes, dedupe keys, rollbacks, payload checks, job_status."""

from __future__ import annotations

import uuid

import pytest

from app.db import Database
from app.errors import InvalidInput
from app.jobs import enqueue, job_status
from tests.jobs.conftest import count_outbox, outbox_row

PROBE = {"run": "outbox-test"}


async def test_enqueue_writes_a_pending_row_in_the_callers_transaction(db: Database) -> None:
    async with db.unit_of_work() as session:
        message = enqueue(session, "jobs.probe", PROBE)

    row = await outbox_row(db, message.id)
    assert (row.name, row.queue, row.payload, row.status, row.attempts, row.dedupe_key) == (
        "jobs.probe", "default", PROBE, "pending", 0, None)
    # no relay active in this process: the row is due for any sweeper at once
    assert row.lease_until <= row.created_at


async def test_rollback_discards_the_row(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.unit_of_work() as session:
            enqueue(session, "jobs.probe", PROBE)
            await session.flush()
            raise RuntimeError("business failure")

    assert await count_outbox(db) == 0


async def test_dedupe_key_returns_the_open_row_across_transactions(db: Database) -> None:
    async with db.unit_of_work() as session:
        first = enqueue(session, "jobs.probe", PROBE, key="shop-1")
    async with db.unit_of_work() as session:
        second = enqueue(session, "jobs.probe", {"run": "other"}, key="shop-1")
        handed_out = second.id  # what a caller returns at once (e.g. in a JobPayload), before any flush
    assert (second.deduplicated, second.alias_of, second.id) == (True, first.id, handed_out)

    assert await count_outbox(db) == 1
    assert (await outbox_row(db, first.id)).payload == PROBE
    async with db.unit_of_work() as session:
        (await session.get(type(first), first.id)).status = "done"
    async with db.sessionmaker() as session:  # the handed-out id reports the row it joined
        status = await job_status(session, [handed_out])
    assert (status["done"], status["missing"]) == (1, 0)
    assert status["jobs"] == [{"id": str(handed_out), "name": "jobs.probe", "status": "done", "attempts": 0,
                               "last_error": None}]


async def test_dedupe_key_within_one_transaction_and_per_name(db: Database) -> None:
    async with db.unit_of_work() as session:
        a = enqueue(session, "jobs.probe", PROBE, key="k")
        b = enqueue(session, "jobs.probe", PROBE, key="k")
        c = enqueue(session, "jobs.probe", PROBE, key="other-key")
    assert b.alias_of == a.id and b.deduplicated and not a.deduplicated
    assert c.alias_of is None and not c.deduplicated
    assert await count_outbox(db) == 2


async def test_a_finished_row_no_longer_blocks_its_key(db: Database) -> None:
    async with db.unit_of_work() as session:
        first = enqueue(session, "jobs.probe", PROBE, key="again")
    async with db.unit_of_work() as session:
        row = await session.get(type(first), first.id)
        row.status = "done"
    async with db.unit_of_work() as session:
        second = enqueue(session, "jobs.probe", PROBE, key="again")
    assert second.id != first.id and not second.deduplicated
    assert await count_outbox(db, status="pending") == 1


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ([1, 2], "must be a JSON object"),
        ({"when": object()}, "not plain JSON"),
        ({"amount": float("nan")}, "not plain JSON"),
        ({"pair": (1, 2)}, "does not survive JSON"),
        ({1: "int key"}, "does not survive JSON"),
    ],
    ids=["list_case", "object_case", "nan_case", "tuple_case", "int_key_case"],
)
async def test_payload_must_be_plain_json(db: Database, payload: object, fragment: str) -> None:
    async with db.unit_of_work() as session:
        with pytest.raises(InvalidInput) as caught:
            enqueue(session, "jobs.probe", payload)  # type: ignore[arg-type]
    assert fragment in caught.value.message
    assert await count_outbox(db) == 0


async def test_unknown_job_name_is_rejected(db: Database) -> None:
    async with db.unit_of_work() as session:
        with pytest.raises(InvalidInput) as caught:
            enqueue(session, "nosuch.job", {})
    assert caught.value.code == "UNKNOWN_JOB"
    assert "nosuch.job" in caught.value.message


async def test_job_status_counts_and_details(db: Database) -> None:
    async with db.unit_of_work() as session:
        a = enqueue(session, "jobs.probe", PROBE)
        b = enqueue(session, "jobs.probe", PROBE)
    async with db.unit_of_work() as session:
        (await session.get(type(a), a.id)).status = "done"
    missing = uuid.uuid4()

    async with db.sessionmaker() as session:
        status = await job_status(session, [a.id, b.id, missing])

    assert {k: status[k] for k in ("total", "pending", "done", "dead", "missing", "finished")} == {
        "total": 3, "pending": 1, "done": 1, "dead": 0, "missing": 1, "finished": False}
    assert [(j["id"], j["status"]) for j in status["jobs"]] == [
        (str(a.id), "done"), (str(b.id), "pending"), (str(missing), "missing")]


async def test_dedupe_key_holds_between_concurrent_transactions(db: Database) -> None:
    import asyncio

    first_written = asyncio.Event()
    release_first = asyncio.Event()

    async def first() -> uuid.UUID:
        async with db.unit_of_work() as session:
            message = enqueue(session, "jobs.probe", PROBE, key="race")
            await session.flush()  # the row exists, uncommitted
            first_written.set()
            await release_first.wait()
        return message.id

    async def second() -> tuple[uuid.UUID | None, bool]:
        await first_written.wait()
        async with db.unit_of_work() as session:
            message = enqueue(session, "jobs.probe", PROBE, key="race")
            await session.flush()  # waits for the first transaction, then finds its row
        return message.alias_of, message.deduplicated

    first_task, second_task = asyncio.create_task(first()), asyncio.create_task(second())
    await first_written.wait()
    await asyncio.sleep(0.3)  # the second transaction is now blocked on the first one's row
    release_first.set()
    first_id, (second_id, deduplicated) = await first_task, await second_task

    assert (second_id, deduplicated) == (first_id, True)
    assert await count_outbox(db) == 1


async def test_resolve_job_ids_follows_aliases(db: Database) -> None:
    from app.jobs.outbox import resolve_job_ids

    async with db.unit_of_work() as session:
        first = enqueue(session, "jobs.probe", PROBE, key="resolve")
    async with db.unit_of_work() as session:
        alias = enqueue(session, "jobs.probe", PROBE, key="resolve")
    unknown = uuid.uuid4()

    async with db.sessionmaker() as session:
        resolved = await resolve_job_ids(session, [first.id, alias.id, unknown])

    assert resolved == {first.id: first.id, alias.id: first.id}


async def test_concurrent_sweepers_send_each_expired_row_once(settings, db: Database) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    from collections import Counter

    from dramatiq.brokers.stub import StubBroker

    from app.jobs.relay import Relay, Sweeper

    async with db.unit_of_work() as session:  # no relay active: every row is due at once
        ids = [enqueue(session, "jobs.probe", PROBE).id for _ in range(300)]

    sent: Counter[uuid.UUID] = Counter()

    class CountingRelay(Relay):
        def send_now(self, items):  # type: ignore[no-untyped-def]
            sent.update(message_id for message_id, _ in items)
            return len(items)

    databases = [Database.from_settings(settings) for _ in range(3)]
    sweepers = [Sweeper(database, CountingRelay(StubBroker(), {}, settings), settings)
                for database in databases]
    for sweeper in sweepers:
        sweeper.batch = 40  # many small claims, so the sweepers interleave
    try:
        totals = await asyncio.gather(*(sweeper.sweep() for sweeper in sweepers))
    finally:
        for database in databases:
            await database.dispose()

    assert sum(totals) == 300
    assert set(sent) == set(ids) and set(sent.values()) == {1}
    assert await count_outbox(db, resends=1) == 300
