"""The job layer's own job: `jobs.probe`, an end-to-end health check of outbox → broker → worker → database.

Its effect is exactly one `job_probe_results` row per outbox row (unique on the outbox id). The payload can make it
slow (`sleep_ms`, to keep jobs in flight) or fail its first attempts (`fail_attempts`, to exercise retries and
dead letters), so operators and tests can check every path with the real machinery.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.jobs.models import JobProbeResult
from app.jobs.registry import JobContext, job

MAX_SLEEP_MS = 60_000


class ProbeFailure(Exception):
    """Raised by a probe on purpose, on the attempts its payload asks to fail."""


def _int_field(payload: dict[str, Any], name: str, upper: int) -> int:
    value = payload.get(name, 0)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= upper:
        raise ValueError(f"jobs.probe: {name} must be an integer from 0 to {upper}, not {value!r}")
    return value


@job("jobs.probe", batch=True)
async def probe(ctx: JobContext, payload: dict[str, Any]) -> None:
    run_id = payload.get("run")
    if not isinstance(run_id, str) or not 0 < len(run_id) <= 64:
        raise ValueError("jobs.probe: payload 'run' must be a string of 1 to 64 characters")
    sleep_ms = _int_field(payload, "sleep_ms", MAX_SLEEP_MS)
    fail_attempts = _int_field(payload, "fail_attempts", 100)
    if sleep_ms:
        await asyncio.sleep(sleep_ms / 1000)
    if ctx.attempt <= fail_attempts:
        raise ProbeFailure(f"failure injected on attempt {ctx.attempt} of {fail_attempts}")
    await record_probe_effect(ctx.session, outbox_id=ctx.message_id, run_id=run_id, attempt=ctx.attempt)


_INSERT_RESULT = insert(JobProbeResult.__table__)


async def record_probe_effect(session: AsyncSession, *, outbox_id: uuid.UUID, run_id: str, attempt: int) -> None:
    """The probe's effect: one row, a Core INSERT on the session's connection (the same transaction; the ORM's
    execute path would cost more than the whole rest of a tiny job)."""
    connection = await session.connection()
    await connection.execute(_INSERT_RESULT, {"outbox_id": outbox_id, "run_id": run_id, "attempt": attempt})
