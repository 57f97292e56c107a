"""Stopping a sweeper lets a claim in progress commit (a claim cut short could hold SQLite's write lock)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime

import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import text

from app.config import Settings
from app.db import Database
from app.jobs import enqueue
from app.jobs.relay import Relay, Sweeper
from tests.jobs.conftest import outbox_row


async def test_a_claim_in_progress_completes_when_the_sweeper_stops(db: Database, job_settings: Settings,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    async with db.unit_of_work() as session:
        message = enqueue(session, "jobs.probe", {"run": "stop"})
    entered = asyncio.Event()

    async def slow_claim(self: Sweeper, cutoff: datetime) -> list:  # type: ignore[type-arg]
        async with self.database.unit_of_work() as session:
            await session.execute(text("UPDATE job_outbox SET resends = resends + 1"))
            entered.set()
            await asyncio.sleep(0.3)  # the stop arrives here, inside the claim's transaction
        return []

    monkeypatch.setattr(Sweeper, "_claim", slow_claim)
    sweeper = Sweeper(db, Relay(StubBroker(), {}, job_settings), job_settings)
    task = asyncio.create_task(sweeper.run())
    await asyncio.wait_for(entered.wait(), 5)
    task.cancel()  # what JobRuntime.stop does, followed by finish()
    await asyncio.gather(task, return_exceptions=True)
    await sweeper.finish()

    assert (await outbox_row(db, message.id)).resends == 1  # committed, not cut short
    if db.engine.dialect.name == "sqlite":  # and nobody holds the write lock any more
        connection = sqlite3.connect(db.engine.url.database or "", timeout=0, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        connection.close()


async def test_a_failed_sweep_is_logged_on_one_line(db: Database, job_settings: Settings,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    from sqlalchemy.exc import OperationalError

    async def locked(self: Sweeper, cutoff: datetime | None = None) -> int:
        raise OperationalError("UPDATE job_outbox SET resends=...", {"id": 1},
                               sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(Sweeper, "sweep", locked)
    sweeper = Sweeper(db, Relay(StubBroker(), {}, job_settings), job_settings)
    with caplog.at_level("WARNING", logger="app.jobs.relay"):
        await sweeper._sweep_logged()
    [record] = [r for r in caplog.records if "sweep failed" in r.getMessage()]
    assert record.getMessage().endswith("(sqlite3.OperationalError) database is locked")
    assert "\n" not in record.getMessage() and "UPDATE" not in record.getMessage()
