"""`taxrecon jobs probe|status`: an end-to-end health check of the job pipeline, and job progress by id.

`taxrecon jobs probe --count N` enqueues N `jobs.probe` jobs (each must leave exactly one `job_probe_results` row)
and reports how many completed and how fast. With `memory://` the jobs run in this process (an embedded runtime,
like `taxrecon serve`); with Redis/RabbitMQ this process only relays, and running `taxrecon worker` processes do the
work — so the probe also tells whether any worker is alive. Exit 0 when every probe completed exactly once, 1 if not.
"""

from __future__ import annotations

import uuid

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError

from app.cli.common import fail, handle_errors, load_settings, print_json, run
from app.config import Settings
from app.errors import ConfigurationError
from app.logging import configure_logging

jobs_app = typer.Typer(help="The job pipeline: health probe and job status.", no_args_is_help=True)


async def _probe(settings: Settings, *, count: int, sleep_ms: int, fail_attempts: int, timeout: float,
                 show_progress: bool) -> dict:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from app.db import Database
    from app.jobs import JobRuntime
    from app.jobs.probe import run_probe

    database = Database.from_settings(settings)
    runtime = JobRuntime.from_settings(settings, database)
    try:
        await runtime.start(embedded_worker=settings.broker_kind == "memory")
        with Progress(TextColumn("probe"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      disable=not show_progress, transient=True) as progress:
            task = progress.add_task("probe", total=count)
            report = await run_probe(database, count=count, sleep_ms=sleep_ms, fail_attempts=fail_attempts,
                                     timeout=timeout, on_progress=lambda done: progress.update(task, completed=done))
        return report.as_dict()
    except (OperationalError, ProgrammingError) as exc:
        raise ConfigurationError(
            f"the database is not usable ({type(exc.orig).__name__}); has `taxrecon migrate` been run?") from None
    finally:
        await runtime.stop()
        await database.dispose()


@jobs_app.command("probe")
@handle_errors
def probe(
    count: int = typer.Option(100, "--count", min=1, max=1_000_000, help="How many probe jobs to run."),
    sleep_ms: int = typer.Option(0, "--sleep-ms", min=0, max=60_000, help="Make each probe this slow."),
    fail_attempts: int = typer.Option(0, "--fail-attempts", min=0, max=100,
                                      help="Fail each probe's first attempts (exercises retries)."),
    timeout: float = typer.Option(120.0, "--timeout", min=1.0, help="Seconds to wait for completion."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Enqueue N probe jobs and report how many completed, exactly once, and how fast."""
    settings = load_settings()
    configure_logging(settings)
    report = run(_probe(settings, count=count, sleep_ms=sleep_ms, fail_attempts=fail_attempts, timeout=timeout,
                        show_progress=not as_json))
    if as_json:
        print_json(report)
    else:
        typer.echo(f"{report['completed']}/{report['count']} probe jobs completed, {report['dead']} dead, "
                   f"{report['retried']} retried, in {report['total_seconds']:.2f}s "
                   f"({report['jobs_per_second']} jobs/s; enqueue {report['enqueue_seconds']:.2f}s)")
    if not report["ok"]:
        raise typer.Exit(1)


@jobs_app.command("status")
@handle_errors
def status(ids: list[str] = typer.Argument(..., help="Job (outbox) ids.")) -> None:
    """Print the status of jobs by id, as JSON."""
    from app.db import Database
    from app.jobs import job_status

    try:
        parsed = [uuid.UUID(value) for value in ids]
    except ValueError:
        fail(f"not a job id (a UUID): {next(v for v in ids if not _is_uuid(v))!r}")
    settings = load_settings()

    async def query() -> dict:
        database = Database.from_settings(settings)
        try:
            async with database.sessionmaker() as session:
                return await job_status(session, parsed)
        finally:
            await database.dispose()

    print_json(run(query()))


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def register(app: typer.Typer) -> None:
    app.add_typer(jobs_app, name="jobs")
