"""The transactional outbox: `enqueue` writes a job row in the caller's transaction; the relay sends it after commit.

- `enqueue(session, name, payload, key=None)` only adds a row; nothing leaves the process before the caller's unit of
  work commits (`app.db.after_commit`). A rollback discards the row and the pending send together.
- After commit, every row enqueued in that transaction is handed in one batch to the process's active relay
  (`app.jobs.relay`: inline for the StubBroker, on the relay's thread for Redis/RabbitMQ, so a commit never waits
  for a network broker). If the process dies between commit and send, or has no relay (a CLI process), the row
  stays pending and the sweeper of any running process sends it when its lease expires (immediately, when no relay
  was active at enqueue).
- `key` dedupes: while a pending row with the same name and key exists, no new row is added. The id `enqueue`
  returned (callers read it at once, e.g. for a JobPayload) is then recorded as an alias of the open row, so
  `job_status` reports that row under it; after the flush `deduplicated` is True and `alias_of` names the row. The
  check is an `INSERT … ON CONFLICT DO NOTHING` against a partial unique index, so it holds between concurrent
  transactions on PostgreSQL too.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.db import Database, after_commit, utcnow
from app.ids import time_ordered_uuid
from app.errors import InvalidInput
from app.jobs import relay as relay_module
from app.jobs.models import JobOutboxAlias, OutboxMessage
from app.jobs.registry import JobSpec, get_job

_BATCH_KEY = "taxrecon.outbox_batch"
_TABLE = OutboxMessage.__table__
_ALIASES = JobOutboxAlias.__table__
_KEY_PREDICATE = "status = 'pending' AND dedupe_key IS NOT NULL"
_STATUS_CHUNK = 900


def _spec_for(name: str) -> JobSpec:
    spec = get_job(name)
    if spec is None:
        from app.jobs.actors import import_all_tasks

        import_all_tasks()
        spec = get_job(name)
    if spec is None:
        raise InvalidInput(f"unknown job {name!r}: no handler is registered under that name", code="UNKNOWN_JOB")
    return spec


def _check_payload(name: str, payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise InvalidInput(f"job {name!r}: the payload must be a JSON object, not {type(payload).__name__}")
    try:
        round_trip = json.loads(json.dumps(payload, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"job {name!r}: the payload is not plain JSON ({exc})") from None
    if round_trip != payload:
        raise InvalidInput(f"job {name!r}: the payload does not survive JSON unchanged (tuples, non-string keys?)")
    return round_trip


def enqueue(session: AsyncSession, name: str, payload: dict[str, Any], *, key: str | None = None) -> OutboxMessage:
    """Add job `name` to the caller's transaction; it is sent to the broker once that transaction commits."""
    message = OutboxMessage(**new_row(name, payload, key=key))
    session.add(message)
    _batch_for(session).append(message)
    return message


def new_row(name: str, payload: dict[str, Any], *, key: str | None = None) -> dict[str, Any]:
    """The column values of a new pending outbox row for job `name` (checked: a known job, a plain JSON payload).
    `enqueue` is the way to add one; writers that insert rows themselves (the SQLite webhook writer) use this and
    then `hand_off` the committed rows."""
    spec = _spec_for(name)
    clean = _check_payload(name, payload)
    if key is not None and not (0 < len(key) <= 255):
        raise InvalidInput(f"job {name!r}: a dedupe key has 1 to 255 characters")
    relay = relay_module.active_relay()
    now = utcnow()
    return {"id": time_ordered_uuid(), "name": name, "queue": spec.queue, "payload": clean, "dedupe_key": key,
            "status": "pending", "attempts": 0, "resends": 0, "last_error": None, "created_at": now,
            "finished_at": None, "lease_until": relay.lease_until(now) if relay is not None else now}


def hand_off(items: list[tuple[uuid.UUID, str]]) -> None:
    """Give committed rows `(id, name)` to this process's relay (what the after-commit hook of `enqueue` does).
    Without an active relay they stay pending for a sweeper, as their lease (set by `new_row`) says."""
    relay = relay_module.active_relay()
    if relay is not None and items:
        relay.submit(items)


class _Batch(list[OutboxMessage]):
    """The rows enqueued in one transaction; sent together by the after-commit hook."""

    def __init__(self, info: dict[str, Any]) -> None:
        super().__init__()
        self._info = info

    def __call__(self) -> None:
        if self._info.get(_BATCH_KEY) is self:
            del self._info[_BATCH_KEY]
        hand_off([(m.id, m.name) for m in self if not m.deduplicated])


def _batch_for(session: AsyncSession) -> _Batch:
    batch = session.info.get(_BATCH_KEY)
    if batch is None:
        batch = session.info[_BATCH_KEY] = _Batch(session.info)
        after_commit(session, batch)
    return batch


@event.listens_for(Session, "after_rollback")
def _drop_batch_on_rollback(session: Session) -> None:
    session.info.pop(_BATCH_KEY, None)


@event.listens_for(Session, "before_flush")
def _insert_outbox_messages(session: Session, _context: Any, _instances: Any) -> None:
    """Outbox rows bypass the ORM unit of work (they are written once and never updated through it): unkeyed ones
    in one multi-row INSERT, keyed ones with INSERT … ON CONFLICT DO NOTHING, else adopting the open row's id.
    The objects returned by `enqueue` stay usable (id, name, payload) but are not attached to the session."""
    messages = [o for o in session.new if isinstance(o, OutboxMessage)]
    if not messages:
        return
    for message in messages:
        session.expunge(message)
    plain = [_row_values(m) for m in messages if m.dedupe_key is None]
    if plain:
        session.connection().execute(_TABLE.insert(), plain)
    for message in messages:
        if message.dedupe_key is not None:
            _insert_or_adopt(session, message)


def _row_values(message: OutboxMessage) -> dict[str, Any]:
    return {c.name: getattr(message, c.key) for c in _TABLE.columns}


def _insert_or_adopt(session: Session, message: OutboxMessage) -> None:
    conn = session.connection()
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    values = _row_values(message)
    for _ in range(3):
        statement = insert(_TABLE).values(**values).on_conflict_do_nothing(
            index_elements=["name", "dedupe_key"], index_where=text(_KEY_PREDICATE)
        ).returning(_TABLE.c.id)
        if conn.execute(statement).scalar() is not None:
            return
        existing = conn.execute(
            select(_TABLE.c.id).where(_TABLE.c.name == message.name, _TABLE.c.dedupe_key == message.dedupe_key,
                                      _TABLE.c.status == "pending")
        ).scalar()
        if existing is not None:
            conn.execute(_ALIASES.insert().values(id=message.id, outbox_id=existing, created_at=utcnow()))
            message.alias_of = existing
            message.deduplicated = True
            return
    raise RuntimeError(f"could not insert or find the open job {message.name!r} with key {message.dedupe_key!r}")


async def job_status(session: AsyncSession, message_ids: Iterable[uuid.UUID], *, details: bool = True) -> dict:
    """Progress of a set of jobs: counts per status, `finished` once none is pending, and (with `details`) one entry
    per id in the given order (`status` is `missing` for an id that does not exist)."""
    ids = list(dict.fromkeys(message_ids))
    found: dict[uuid.UUID, Any] = {}
    for start in range(0, len(ids), _STATUS_CHUNK):
        chunk = ids[start:start + _STATUS_CHUNK]
        rows = await session.execute(
            select(_TABLE.c.id, _TABLE.c.name, _TABLE.c.status, _TABLE.c.attempts, _TABLE.c.last_error)
            .where(_TABLE.c.id.in_(chunk))
        )
        found.update({row.id: row for row in rows})
    found.update(await _through_aliases(session, [i for i in ids if i not in found]))
    counts = {"pending": 0, "done": 0, "dead": 0}
    for row in found.values():
        counts[row.status] += 1
    result: dict[str, Any] = {"total": len(ids), **counts, "missing": len(ids) - len(found),
                              "finished": counts["pending"] == 0}
    if details:
        result["jobs"] = [_describe(i, found.get(i)) for i in ids]
    return result


async def resolve_job_ids(session: AsyncSession, message_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Each given id → the outbox row it names (itself, or the open row a deduplicated enqueue joined); unknown ids
    are left out. For callers that check a job's payload (e.g. its shop) before reporting it."""
    ids = list(dict.fromkeys(message_ids))
    resolved: dict[uuid.UUID, uuid.UUID] = {}
    for start in range(0, len(ids), _STATUS_CHUNK):
        chunk = ids[start:start + _STATUS_CHUNK]
        resolved.update({i: i for i in (await session.scalars(select(_TABLE.c.id).where(_TABLE.c.id.in_(chunk))))})
        aliases = await session.execute(select(_ALIASES.c.id, _ALIASES.c.outbox_id).where(_ALIASES.c.id.in_(chunk)))
        resolved.update({row.id: row.outbox_id for row in aliases})
    return resolved


async def _through_aliases(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """Rows of the open jobs that deduplicated enqueues joined, keyed by the ids those enqueues returned."""
    found: dict[uuid.UUID, Any] = {}
    for start in range(0, len(ids), _STATUS_CHUNK):
        rows = await session.execute(
            select(_ALIASES.c.id.label("alias"), _TABLE.c.id, _TABLE.c.name, _TABLE.c.status, _TABLE.c.attempts,
                   _TABLE.c.last_error)
            .join(_TABLE, _TABLE.c.id == _ALIASES.c.outbox_id).where(_ALIASES.c.id.in_(ids[start:start + _STATUS_CHUNK]))
        )
        found.update({row.alias: row for row in rows})
    return found


def _describe(message_id: uuid.UUID, row: Any) -> dict[str, Any]:
    if row is None:
        return {"id": str(message_id), "name": None, "status": "missing", "attempts": 0, "last_error": None}
    return {"id": str(message_id), "name": row.name, "status": row.status, "attempts": row.attempts,
            "last_error": row.last_error}


async def wait_for(database: Database, message_ids: Iterable[uuid.UUID], *, timeout: float,
                   interval: float = 0.2, on_progress: Callable[[dict], Any] | None = None) -> dict:
    """Poll until every job is done or dead, or `timeout` seconds passed; returns the last `job_status` (check
    `finished`). `on_progress` gets each status (CLI progress bars)."""
    ids = list(message_ids)
    deadline = time.monotonic() + timeout
    while True:
        async with database.sessionmaker() as session:
            status = await job_status(session, ids, details=False)
        if on_progress is not None:
            on_progress(status)
        if status["finished"] or time.monotonic() >= deadline:
            async with database.sessionmaker() as session:
                return await job_status(session, ids)
        await asyncio.sleep(interval)
