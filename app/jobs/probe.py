"""Running a probe: enqueue N `jobs.probe` jobs, wait for their effects, report counts and throughput.

Used by `taxrecon jobs probe`, the durability tests and the benchmark. Completion is read from the database (one
`job_probe_results` row per job), never from the broker.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select

from app.db import Database
from app.jobs.models import JobProbeResult
from app.jobs.outbox import enqueue, job_status

ENQUEUE_CHUNK = 1000


@dataclass
class ProbeReport:
    run_id: str
    count: int
    completed: int
    dead: int
    retried: int
    enqueue_seconds: float
    total_seconds: float

    @property
    def ok(self) -> bool:
        return self.completed == self.count and self.dead == 0 and self.retried == 0

    @property
    def jobs_per_second(self) -> float:
        return self.completed / self.total_seconds if self.total_seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok, "jobs_per_second": round(self.jobs_per_second, 1)}


async def enqueue_probes(database: Database, *, run_id: str, count: int, sleep_ms: int = 0,
                         fail_attempts: int = 0) -> list[uuid.UUID]:
    """Enqueue `count` probes, `ENQUEUE_CHUNK` per transaction; returns their outbox ids."""
    ids: list[uuid.UUID] = []
    payload = {"run": run_id, "sleep_ms": sleep_ms, "fail_attempts": fail_attempts}
    for start in range(0, count, ENQUEUE_CHUNK):
        async with database.unit_of_work() as session:
            for _ in range(min(ENQUEUE_CHUNK, count - start)):
                ids.append(enqueue(session, "jobs.probe", payload).id)
    return ids


async def count_results(database: Database, run_id: str) -> int:
    """How many probes of a run have their effect."""
    async with database.sessionmaker() as session:
        return int(await session.scalar(
            select(func.count()).select_from(JobProbeResult).where(JobProbeResult.run_id == run_id)) or 0)


async def wait_for_probes(database: Database, run_id: str, ids: list[uuid.UUID], *, timeout: float,
                          fail_attempts: int = 0,
                          on_progress: Callable[[int], Any] | None = None) -> tuple[int, int, int]:
    """Poll until every probe has its effect or is dead (or timeout); returns (completed, dead, retried), retried
    being the jobs that needed more attempts than the failures the payload injected."""
    deadline = time.monotonic() + timeout
    completed, dead, last_progress = 0, 0, time.monotonic()
    while True:
        now_completed = await count_results(database, run_id)
        now = time.monotonic()
        if now_completed != completed:
            completed, last_progress = now_completed, now
            if on_progress is not None:
                on_progress(completed)
        if completed + dead >= len(ids) or now >= deadline:
            break
        if now - last_progress >= 1.0:  # stalled: are the rest dead? (the full status is costly on big runs)
            async with database.sessionmaker() as session:
                dead = (await job_status(session, ids, details=False))["dead"]
            last_progress = now
        await asyncio.sleep(0.02)
    async with database.sessionmaker() as session:
        status = await job_status(session, ids)
    retried = sum(1 for j in status["jobs"] if j["status"] == "done" and j["attempts"] > fail_attempts + 1)
    return await count_results(database, run_id), status["dead"], retried


async def run_probe(database: Database, *, count: int, sleep_ms: int = 0, fail_attempts: int = 0,
                    timeout: float = 120.0, on_progress: Callable[[int], Any] | None = None) -> ProbeReport:
    run_id = f"probe-{uuid.uuid4().hex[:12]}"
    started = time.perf_counter()
    ids = await enqueue_probes(database, run_id=run_id, count=count, sleep_ms=sleep_ms,
                               fail_attempts=fail_attempts)
    enqueued = time.perf_counter()
    completed, dead, retried = await wait_for_probes(database, run_id, ids, timeout=timeout,
                                                     fail_attempts=fail_attempts, on_progress=on_progress)
    return ProbeReport(run_id=run_id, count=count, completed=completed, dead=dead, retried=retried,
                       enqueue_seconds=enqueued - started, total_seconds=time.perf_counter() - started)
