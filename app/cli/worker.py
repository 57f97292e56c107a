"""`taxrecon worker`: Dramatiq worker processes for a Redis or RabbitMQ broker.

Each process runs one `JobRuntime` with its in-process worker (threads = --threads / TAXRECON_WORKER_THREADS) plus
the relay and the sweeper, so production needs nothing else: start as many processes, on as many machines, as the
load needs. With `memory://` there is no shared broker, so the command refuses (the embedded worker runs inside
`taxrecon serve`). SIGTERM/SIGINT stop gracefully: jobs in flight finish; a killed process loses nothing (the
sweeper re-sends its rows once their lease expires).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import sys

import typer

from app.cli.common import fail, freeze_startup_heap, handle_errors, load_settings
from app.config import Settings
from app.logging import configure_logging

MEMORY_REFUSAL = ("TAXRECON_BROKER_URL is memory://, which only exists inside one process: jobs run in the "
                  "embedded worker of `taxrecon serve`; set a redis:// or amqp:// broker to run separate workers")


async def run_worker(settings: Settings) -> None:
    """One worker process until SIGTERM/SIGINT."""
    from app.db import Database
    from app.jobs import JobRuntime

    database = Database.from_settings(settings)
    runtime = JobRuntime.from_settings(settings, database)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await runtime.start(embedded_worker=True)
        freeze_startup_heap()
        typer.echo(f"taxrecon worker: {len(runtime.actors)} job(s), {settings.worker_threads} thread(s), "
                   f"{runtime.target.kind} broker; stop with Ctrl-C", err=True)
        await stop.wait()
    finally:
        await runtime.stop()
        await database.dispose()


def _child(settings: Settings) -> None:
    configure_logging(settings)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent forwards SIGTERM; Ctrl-C reaches the parent only
    try:
        asyncio.run(run_worker(settings))
    except Exception as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(2)


def _supervise(settings: Settings, processes: int) -> int:
    """Run `processes` children; stop them all on a signal or when one exits. Returns the exit code."""
    context = multiprocessing.get_context("spawn")
    children = [context.Process(target=_child, args=(settings,), name=f"taxrecon-worker-{i}")
                for i in range(processes)]
    for child in children:
        child.start()
    stopping = False

    def stop_all(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.is_alive():
                child.terminate()

    signal.signal(signal.SIGTERM, stop_all)
    signal.signal(signal.SIGINT, stop_all)
    while all(child.is_alive() for child in children) and not stopping:
        children[0].join(timeout=0.5)
    stop_all(0, None)
    for child in children:
        child.join()
    return 0 if stopping else max((child.exitcode or 0) for child in children) or 1


def register(app: typer.Typer) -> None:
    @app.command("worker")
    @handle_errors
    def worker(
        threads: int = typer.Option(None, "--threads", min=1, max=64,
                                    help="Worker threads per process (default TAXRECON_WORKER_THREADS)."),
        processes: int = typer.Option(1, "--processes", min=1, max=64, help="Worker processes to run."),
    ) -> None:
        """Run job workers for the configured Redis or RabbitMQ broker (with the outbox relay and sweeper)."""
        settings = load_settings(worker_threads=threads)
        if settings.broker_kind == "memory":
            fail(MEMORY_REFUSAL)
        configure_logging(settings)
        if processes == 1:
            asyncio.run(run_worker(settings))
            return
        code = _supervise(settings, processes)
        if code:
            raise typer.Exit(code)
