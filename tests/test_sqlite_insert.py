"""`SQLiteInsert` stores exactly what the ORM stores: rows it writes read back through the models unchanged."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.db import Database
from app.jobs.models import OutboxMessage
from app.sqlite_insert import SQLiteInsert, uuid_text


def sqlite_path(db: Database) -> str:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    return db.engine.url.database or ""


async def test_rows_read_back_through_the_model_with_defaults_filled(db: Database) -> None:
    path = sqlite_path(db)
    insert = SQLiteInsert(OutboxMessage.__table__, "RETURNING id")
    row_id, lease = uuid.uuid4(), datetime(2026, 11, 27, 8, 30, 0, 123456, tzinfo=UTC)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        returned = insert.execute(connection, [{"id": row_id, "name": "jobs.probe", "queue": "default",
                                                "payload": {"run": "x", "n": [1, 2]}, "lease_until": lease}])
    finally:
        connection.close()
    assert returned == [(uuid_text(row_id),)]
    async with db.sessionmaker() as session:
        message = (await session.scalars(select(OutboxMessage).where(OutboxMessage.id == row_id))).one()
    assert (message.name, message.payload, message.lease_until) == ("jobs.probe", {"run": "x", "n": [1, 2]}, lease)
    assert (message.status, message.attempts, message.resends, message.dedupe_key) == ("pending", 0, 0, None)
    assert message.created_at is not None and message.finished_at is None


def test_a_required_column_without_value_or_default_is_an_error() -> None:
    insert = SQLiteInsert(OutboxMessage.__table__)
    with pytest.raises(ValueError, match="job_outbox.name has no value and no default"):
        insert.parameters({"id": uuid.uuid4(), "queue": "default", "payload": {}, "lease_until": datetime.now(UTC)})


def test_too_many_rows_for_one_statement_are_refused() -> None:
    insert = SQLiteInsert(OutboxMessage.__table__)
    connection = sqlite3.connect(":memory:")
    with pytest.raises(ValueError, match="exceed"):
        insert.execute(connection, [{}] * (insert.max_rows + 1))
