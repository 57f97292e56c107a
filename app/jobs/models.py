"""Tables of the job layer: the transactional outbox, its dead letters and the probe's effects.

Invariants of `job_outbox` (the database is the truth; the broker is only a wake-up signal):
- A row is written in the same transaction as the business data it concerns (`app.jobs.enqueue`).
- `status` moves `pending → done` (in the same transaction as the handler's effects, so an effect and its done-mark
  commit together or not at all) or `pending → dead` (retries exhausted, age limit; a `job_dead_letters` row records
  why). `done` and `dead` are final.
- `lease_until` is when a pending row is considered lost if it is still pending: the sweeper re-sends rows whose lease
  expired and pushes the lease forward. It is set at enqueue, at each re-send and after each failed attempt (then it
  includes the retry's backoff, so the sweeper does not race the broker's own delayed retry).
- At most one *pending* row per `(name, dedupe_key)` (a partial unique index), which is how `enqueue(..., key=...)`
  dedupes on both SQLite and PostgreSQL. The id a deduplicated `enqueue` returned stays a valid handle: a
  `job_outbox_aliases` row points it at the open row it joined (`job_status` follows it).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UUIDPrimaryKey, utcnow

STATUSES = ("pending", "done", "dead")
_PENDING = text("status = 'pending'")


class OutboxMessage(UUIDPrimaryKey, Base):
    """One job: its name, JSON payload and delivery state."""

    __tablename__ = "job_outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'done', 'dead')", name="status"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        Index("ix_job_outbox_due", "lease_until", postgresql_where=_PENDING, sqlite_where=_PENDING),
        Index("uq_job_outbox_pending_key", "name", "dedupe_key", unique=True,
              postgresql_where=text("status = 'pending' AND dedupe_key IS NOT NULL"),
              sqlite_where=text("status = 'pending' AND dedupe_key IS NOT NULL")),
    )

    name: Mapped[str] = mapped_column(String(100))
    queue: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column()
    dedupe_key: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    resends: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_until: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()

    alias_of = None  # not mapped: see `deduplicated`
    deduplicated = False
    """Set (not stored) by `enqueue`, once the session flushed, when no row was added because an open row with the
    same key exists; `id` then names an alias of that row and `job_status(id)` reports that row."""


class JobOutboxAlias(Base):
    """The id a deduplicated `enqueue` handed out, pointing at the open row it joined."""

    __tablename__ = "job_outbox_aliases"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    outbox_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("job_outbox.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class JobDeadLetter(UUIDPrimaryKey, Base):
    """A job the system gave up on, kept for people and for the reconciliation (which turns them into discrepancies
    and sets `reconciled_at`)."""

    __tablename__ = "job_dead_letters"

    outbox_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("job_outbox.id", ondelete="CASCADE"), unique=True
    )
    job_name: Mapped[str] = mapped_column(String(100), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column()
    reason: Mapped[str] = mapped_column(String(32))
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reconciled_at: Mapped[datetime | None] = mapped_column()


class JobProbeResult(Base):
    """The effect of one `jobs.probe` job: exactly one row per outbox row, or the pipeline is broken."""

    __tablename__ = "job_probe_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    outbox_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    run_id: Mapped[str] = mapped_column(String(64), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
