"""SIGKILL durability: kill a real process while jobs are pending and in flight, restart it, and every job completes
with its effect exactly once.

- Embedded mode: `taxrecon serve` (StubBroker + in-process worker) on the test database.
- Redis: `taxrecon worker` processes on a Redis broker (a namespace of their own), fed by this test's relay.
Bounded: every wait has a deadline, and every process started here is stopped here.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from app.db import Database
from app.jobs.models import JobDeadLetter, JobProbeResult, OutboxMessage
from app.jobs.probe import enqueue_probes
from tests.conftest import require_service
from tests.jobs.conftest import StartRuntime

TAXRECON = str(Path(sys.executable).parent / "taxrecon")
JOBS = 40
SLOW_MS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_env(database_url: str, broker_url: str) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if not k.startswith("TAXRECON_")}
    env.update({
        "TAXRECON_DATABASE_URL": database_url, "TAXRECON_BROKER_URL": broker_url,
        "TAXRECON_SECRET_KEY": Fernet.generate_key().decode(), "TAXRECON_LOG_LEVEL": "WARNING",
        "TAXRECON_OUTBOX_LEASE_SECONDS": "2", "TAXRECON_OUTBOX_SWEEP_INTERVAL_SECONDS": "0.2",
        "TAXRECON_WORKER_THREADS": "4",
    })
    return env


class Processes:
    """Processes started by a test; whatever is still running at the end is killed."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, args: list[str], env: dict[str, str], log_name: str) -> subprocess.Popen[bytes]:
        log = open(self.workdir / log_name, "ab")  # noqa: SIM115 — closed with the process
        process = subprocess.Popen([TAXRECON, *args], env=env, cwd=self.workdir, stdout=log, stderr=log)
        self.started.append(process)
        return process

    def log(self, log_name: str) -> str:
        path = self.workdir / log_name
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    running = Processes(tmp_path)
    yield running
    running.stop_all()


def terminate(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


async def counts(db: Database) -> dict[str, int]:
    async with db.sessionmaker() as session:
        results = await session.scalar(select(func.count()).select_from(JobProbeResult))
        distinct = await session.scalar(select(func.count(func.distinct(JobProbeResult.outbox_id))))
        done = await session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "done"))
        pending = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending"))
        dead = await session.scalar(select(func.count()).select_from(JobDeadLetter))
        errors = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.last_error.is_not(None)))
    return {"results": results or 0, "distinct": distinct or 0, "done": done or 0, "pending": pending or 0,
            "dead": dead or 0, "errors": errors or 0}


async def wait_until(db: Database, predicate, timeout: float) -> dict[str, int]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        current = await counts(db)
        if predicate(current) or time.monotonic() > deadline:
            return current
        await asyncio.sleep(0.05)


async def assert_exactly_once(db: Database, ids: list[uuid.UUID]) -> None:
    final = await counts(db)
    assert final == {"results": JOBS, "distinct": JOBS, "done": JOBS, "pending": 0, "dead": 0, "errors": 0}
    async with db.sessionmaker() as session:
        effects = set((await session.scalars(select(JobProbeResult.outbox_id))).all())
        attempts = set((await session.scalars(select(OutboxMessage.attempts))).all())
    assert effects == set(ids)
    assert attempts == {1}  # a killed attempt rolled back entirely, its claim included


async def kill_mid_flight(db: Database, process: subprocess.Popen[bytes], logs: str) -> dict[str, int]:
    """Wait until some jobs are done but not all, then SIGKILL; returns the counts right after the kill."""
    progress = await wait_until(db, lambda c: c["results"] >= 8, timeout=60)
    assert progress["results"] >= 8, f"no progress before the kill: {progress}\n{logs}"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    after_kill = await counts(db)
    assert after_kill["pending"] > 0, "all jobs finished before the kill; the test proved nothing"
    assert after_kill["results"] == after_kill["done"]  # effect and done-mark committed together
    return after_kill


@pytest.mark.slow
async def test_sigkill_of_taxrecon_serve_loses_nothing(database_url: str, db: Database,
                                                      processes: Processes) -> None:
    ids = await enqueue_probes(db, run_id="sigkill-embedded", count=JOBS, sleep_ms=SLOW_MS)
    port = free_port()
    env = process_env(database_url, "memory://")
    serve_args = ["serve", "--port", str(port)]

    first = processes.start(serve_args, env, "serve-1.log")
    await kill_mid_flight(db, first, processes.log("serve-1.log"))

    second = processes.start(serve_args, env, "serve-2.log")
    final = await wait_until(db, lambda c: c["done"] == JOBS, timeout=60)
    async with httpx.AsyncClient() as client:
        health = await client.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    terminate(second)

    assert final["done"] == JOBS, f"{final}\n{processes.log('serve-2.log')}"
    assert health.status_code == 200
    await assert_exactly_once(db, ids)


@pytest.mark.slow
@pytest.mark.services
async def test_sigkill_of_a_redis_worker_loses_nothing(database_url: str, db: Database, processes: Processes,
                                                      start_runtime: StartRuntime) -> None:
    require_service("redis")
    namespace = f"taxrecon-test-{uuid.uuid4().hex[:10]}"
    broker_url = f"redis://127.0.0.1:6379/0?namespace={namespace}"
    try:
        # this process only relays (its own sweeper idle: the restarted worker must recover the lost messages)
        await start_runtime(embedded_worker=False, broker_url=broker_url, outbox_sweep_interval_seconds=300)
        ids = await enqueue_probes(db, run_id="sigkill-redis", count=JOBS, sleep_ms=SLOW_MS)
        env = process_env(database_url, broker_url)

        first = processes.start(["worker", "--threads", "4"], env, "worker-1.log")
        await kill_mid_flight(db, first, processes.log("worker-1.log"))

        second = processes.start(["worker", "--threads", "4"], env, "worker-2.log")
        final = await wait_until(db, lambda c: c["done"] == JOBS, timeout=60)
        terminate(second)

        assert final["done"] == JOBS, f"{final}\n{processes.log('worker-2.log')}"
        await assert_exactly_once(db, ids)
    finally:
        import redis

        client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
        keys = list(client.scan_iter(f"{namespace}*"))
        if keys:
            client.delete(*keys)
