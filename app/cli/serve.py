"""`taxrecon serve` and `taxrecon migrate`."""

from __future__ import annotations

import asyncio

import typer

from app.cli.common import fail, freeze_startup_heap, load_settings
from app.config import Settings
from app.errors import TaxreconError
from app.logging import configure_logging


async def preflight(settings: Settings) -> None:
    """Fail fast, with one line, when the database or the broker is unusable (before uvicorn takes over)."""
    from app.jobs import JobRuntime
    from app.main import open_database
    from app.security import SecretBox

    database = await open_database(settings)
    try:
        SecretBox.from_settings(settings)
        runtime = JobRuntime.from_settings(settings, database)
        await runtime.ping()
    finally:
        await database.dispose()


def serve(
    host: str = typer.Option(None, help="Interface to bind (default 127.0.0.1, TAXRECON_HOST)."),
    port: int = typer.Option(None, help="Port (default 8000, TAXRECON_PORT)."),
    embedded_worker: bool = typer.Option(
        None, "--embedded-worker/--no-embedded-worker",
        help="Run jobs inside this process (the default with TAXRECON_BROKER_URL=memory://).",
    ),
) -> None:
    """Serve the API (GraphQL at /graphql, webhooks, health and metrics)."""
    import uvicorn

    from app.main import create_app

    settings = load_settings(host=host, port=port, embedded_worker=embedded_worker)
    configure_logging(settings)
    try:
        asyncio.run(preflight(settings))
    except TaxreconError as exc:
        fail(exc.message)
    app = create_app(settings)
    freeze_startup_heap()
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None,
                access_log=settings.access_log, proxy_headers=True, server_header=False, lifespan="on")


def migrate() -> None:
    """Bring the database schema to the newest migration (creates the SQLite file if needed)."""
    from app.migrate import upgrade

    settings = load_settings()
    configure_logging(settings)
    try:
        upgrade(settings)
    except Exception as exc:  # noqa: BLE001 — one line for the operator; details in the log
        fail(f"migration failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    typer.echo("database is at the newest schema")


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(migrate)
