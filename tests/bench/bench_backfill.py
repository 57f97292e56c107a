"""Backfill throughput and memory: orders/s and peak memory while storing a bulk JSONL, for 5k/20k/50k-order sandbox
stores, beside a baseline (streaming and joining the same JSONL without storing) measured in the same run. The baseline
uses the backfill's own line parser and assembler (`parse_line`, `BulkAssembler`), so the difference between the two
is what mapping and storing cost.

Run: .venv/bin/python tests/bench/bench_backfill.py [--sizes 5000,20000,50000] [--database sqlite|postgresql://...]
     [--all-phases] (then the later files and the return lines, each phase timed; see `app.shopify.bulk.PHASES`)
Targets: >= 5,000 orders/s; peak memory flat as the store grows. Memory is the growth of the process RSS during the
phase, sampled every 20 ms (--trace-memory: tracemalloc's peak instead, which slows everything several times).
The bulk file is produced by the sandbox first (not timed); the timed part is download + JSONL join + mapping +
upserts (ours, in slices as `shopify.bulk_ingest` runs them: read and map, then store) or download + join
(baseline).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import os
import tracemalloc
from contextlib import asynccontextmanager
from pathlib import Path

import socket
import threading

import httpx
import uvicorn

from app.cli.common import freeze_startup_heap
from app.config import Settings
from app.db import Database
from app.migrate import upgrade
from app.shopify import bulk
from app.shopify.client import AdminClient
from app.shopify.mapping.jsonl import BulkAssembler, parse_line
from app.shopify.models import ShopifyBulkRun
from app.shopify.sandbox import generate_store
from app.shopify.sandbox.app import create_sandbox_app
from app.shops.models import Shop

BASE = "http://sandbox.bench"
TRACE = False
ALL_PHASES = False
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE


class Peak:
    """Peak memory growth during a phase: tracemalloc's peak (--trace-memory) or sampled RSS above the start."""

    def __init__(self) -> None:
        self.start = rss()
        self.peak = self.start
        self.value = 0

    async def sample(self) -> None:
        while True:
            self.peak = max(self.peak, rss())
            await asyncio.sleep(0.02)


@asynccontextmanager
async def measured():
    peak = Peak()
    if TRACE:
        tracemalloc.start()
    sampler = asyncio.create_task(peak.sample())
    try:
        yield peak
    finally:
        sampler.cancel()
        peak.peak = max(peak.peak, rss())
        peak.value = tracemalloc.get_traced_memory()[1] if TRACE else peak.peak - peak.start
        if TRACE:
            tracemalloc.stop()


async def produce(store, http: httpx.AsyncClient, base: str = BASE) -> dict:
    client = AdminClient(store.profile.domain, base, next(iter(store.tokens)), "2026-10", http=http)
    operation = await bulk.start_operation(client)
    while True:
        operation = await bulk.poll_operation(client, operation["id"])
        if operation["status"] not in ("CREATED", "RUNNING"):
            return operation
        await asyncio.sleep(0.2)


async def baseline(http: httpx.AsyncClient, url: str) -> tuple[int, float, int]:
    async with measured() as peak:
        started = time.perf_counter()
        assembler, orders, buffer = BulkAssembler(), 0, b""
        async with http.stream("GET", url) as response:
            async for chunk in response.aiter_bytes(1 << 16):
                buffer += chunk
                lines = buffer.split(b"\n")
                buffer = lines.pop()
                for line in lines:
                    if line and assembler.feed(parse_line(line)) is not None:
                        orders += 1
        orders += assembler.finish() is not None
        elapsed = time.perf_counter() - started
    return orders, elapsed, peak.value


async def ours(database_url: str, http: httpx.AsyncClient, operation: dict, domain: str,
               client: AdminClient | None = None) -> tuple[int, float, int]:
    """The orders file, stored as the jobs store it; with `client`, then the later phases (`later_phases`)."""
    settings = Settings(_env_file=None, database_url=database_url, secret_key=None)  # type: ignore[call-arg]
    upgrade(settings)
    database = Database.from_settings(settings)
    try:
        async with database.unit_of_work() as session:
            shop = Shop(domain=domain, currency="EUR", timezone="UTC", tax_profile={}, granted_scopes=[],
                        needs_reauth=False)
            session.add(shop)
            await session.flush()
            run = ShopifyBulkRun(shop_id=shop.id, status="ingesting", url=operation["url"], lines_committed=0,
                                 bytes_committed=0, roots_committed=0, orders_applied=0, orders_stale=0,
                                 orders_unchanged=0)
            session.add(run)
        async with measured() as peak:
            started = time.perf_counter()
            finished = False
            while not finished:  # slices as the jobs run them: read and map, then store in a transaction
                async with database.sessionmaker() as session:
                    run = await session.get(ShopifyBulkRun, run.id)
                read = await bulk.read_slice(http, run, bulk.SliceLimits())
                async with database.unit_of_work() as session:
                    run = await session.get(ShopifyBulkRun, run.id)
                    finished = (await bulk.store_read(session, run, read)).finished
            elapsed = time.perf_counter() - started
        async with database.sessionmaker() as session:
            run = await session.get(ShopifyBulkRun, run.id)
        if client is not None:
            await later_phases(database, http, client, run.id)
        return run.roots_committed, elapsed, peak.value
    finally:
        await database.dispose()


async def later_phases(database: Database, http: httpx.AsyncClient, client: AdminClient, run_id) -> None:
    """The fulfilments, fulfilment-orders and refunds files (each produced by the sandbox first, not timed), then
    the return lines read order by order through the throttled client (timed: their pace is the API plan's)."""
    figures = []
    while True:
        async with database.sessionmaker() as session:
            run = await session.get(ShopifyBulkRun, run_id)
        if run.status == "done":
            break
        phase, started = run.phase, time.perf_counter()
        if run.status == "starting":
            operation = await produce_phase(client, phase)
            async with database.unit_of_work() as session:
                run = await session.get(ShopifyBulkRun, run_id)
                run.operation_id, run.status = operation["id"], "running"
                bulk.apply_operation(run, operation)
            started = time.perf_counter()
        objects = await ingest_phase(database, http, client, run_id)
        figures.append(f"{phase.replace('_', ' ')} {objects} in {time.perf_counter() - started:.1f}s")
    print("         later phases: " + ", ".join(figures), flush=True)


async def produce_phase(client: AdminClient, phase: str) -> dict:
    operation = await bulk.start_operation(client, phase)
    while operation["status"] in ("CREATED", "RUNNING"):
        await asyncio.sleep(0.2)
        operation = await bulk.poll_operation(client, operation["id"])
    return operation


async def ingest_phase(database: Database, http: httpx.AsyncClient, client: AdminClient, run_id) -> int:
    """Slices of the run's current phase until it moves on; the roots read (orders or fulfilment orders)."""
    from app.shopify import backfill_returns

    roots, phase = 0, None
    while True:
        async with database.sessionmaker() as session:
            run = await session.get(ShopifyBulkRun, run_id)
        if phase is not None and (run.phase != phase or run.status == "done"):
            return roots
        phase = run.phase
        if phase == "return_lines":
            read = await backfill_returns.read_returns(client, database, run)
            roots += len(read.nodes)
            async with database.unit_of_work() as session:
                await backfill_returns.store_returns(session, await session.get(ShopifyBulkRun, run_id), read)
        else:
            read = await bulk.read_slice(http, run, bulk.SliceLimits())
            roots += read.orders
            async with database.unit_of_work() as session:
                await bulk.store_read(session, await session.get(ShopifyBulkRun, run_id), read)


class LoopbackSandbox:
    """The sandbox served by uvicorn on a loopback port in a thread: httpx streams from a socket, whereas its
    ASGITransport collects a whole response body in memory (which would hide or fake the memory figures)."""

    def __init__(self, app) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the sandbox did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


async def bench(size: int, database: str) -> None:
    store = generate_store(seed=size, orders=size, plan="plus")
    app = create_sandbox_app(store)
    with LoopbackSandbox(app) as base:
        async with httpx.AsyncClient(base_url=base, timeout=600) as http:
            await _bench(size, database, store, http, base)


async def _bench(size: int, database: str, store, http: httpx.AsyncClient, base: str) -> None:
    started = time.perf_counter()
    operation = await produce(store, http, base)
    produced = time.perf_counter() - started
    n0, t0, m0 = await baseline(http, operation["url"])
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}" if database == "sqlite" else database
        client = AdminClient(store.profile.domain, base, next(iter(store.tokens)), "2026-10", http=http) \
            if ALL_PHASES else None
        n1, t1, m1 = await ours(url, http, operation, store.profile.domain, client)
    print(f"{size:>6} orders | sandbox wrote JSONL in {produced:6.1f}s ({operation.get('fileSize')} bytes) | "
          f"baseline join: {n0 / t0:8.0f} orders/s, peak {m0 / 2**20:6.1f} MiB | "
          f"backfill: {n1 / t1:7.0f} orders/s, peak {m1 / 2**20:6.1f} MiB | stored {n1}/{size}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="5000,20000,50000")
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--trace-memory", action="store_true", help="tracemalloc peaks (slows both runs ~5x)")
    parser.add_argument("--all-phases", action="store_true",
                        help="then the fulfilments, fulfilment-orders and refunds files and the return lines")
    args = parser.parse_args()
    global TRACE, ALL_PHASES
    TRACE, ALL_PHASES = args.trace_memory, args.all_phases
    freeze_startup_heap()  # as `taxrecon worker` does once set up (both runs below share the process)
    for size in (int(s) for s in args.sizes.split(",")):
        asyncio.run(bench(size, args.database))


if __name__ == "__main__":
    main()
