"""The ASGI application: `create_app(settings)`.

Start-up order (lifespan): database reachable and migrated → secret box → job runtime (broker, relay, sweeper and,
in embedded mode, the in-process worker). Any failure there is a `ConfigurationError` with one clear line; the CLI
prints it and exits 2. Shutdown reverses the order, so in-flight jobs finish or stay in the outbox for next time.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from app.config import Settings
from app.db import Database
from app.errors import ConfigurationError
from app.graphql.view import graphql_routes
from app.health import healthz, readyz
from app.jobs import JobRuntime
from app.jobs.pacing import Foreground, ForegroundMiddleware
from app.logging import install_redaction
from app.metrics import Metrics, MetricsMiddleware, metrics_endpoint
from app.migrate import current_revisions, head_revisions
from app.security import SecretBox
from app.shopify.webhooks import routes as webhook_routes

log = logging.getLogger(__name__)


def safe_url(url: str) -> str:
    """A database or broker URL with its password masked, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


async def open_database(settings: Settings) -> Database:
    """Connect and check that the schema is at the newest migration; a clear error otherwise."""
    path = settings.sqlite_path
    if path is not None and not path.exists():
        raise ConfigurationError(f"database file {path} does not exist: run `taxrecon migrate` first")
    database = Database.from_settings(settings)
    try:
        async with database.engine.connect() as conn:
            current = await conn.run_sync(current_revisions)
    except Exception as exc:
        await database.dispose()
        raise ConfigurationError(
            f"database unreachable at {safe_url(settings.database_url)}: {type(exc).__name__}: {exc}".splitlines()[0]
        ) from exc
    if current != head_revisions():
        await database.dispose()
        raise ConfigurationError(
            f"database at {safe_url(settings.database_url)} is not migrated to the newest schema: run `taxrecon migrate`"
        )
    return database


def create_app(settings: Settings) -> Starlette:
    install_redaction()  # secrets never reach any log handler, whoever configured logging
    metrics = Metrics()
    foreground = Foreground()  # requests in flight, to which the embedded worker gives way

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        database = await open_database(settings)
        jobs = JobRuntime.from_settings(settings, database, foreground)
        try:
            app.state.box = SecretBox.from_settings(settings)
            await jobs.start(embedded_worker=settings.embedded_worker)
        except Exception:
            await database.dispose()
            raise
        app.state.database = database
        app.state.jobs = jobs
        log.info("taxrecon ready (database %s, broker %s)", safe_url(settings.database_url),
                 safe_url(settings.broker_url))
        try:
            yield
        finally:
            await jobs.stop()
            await database.dispose()

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        *graphql_routes(settings),
        *webhook_routes(),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[
        Middleware(MetricsMiddleware, metrics=metrics), Middleware(ForegroundMiddleware, foreground=foreground)])
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.foreground = foreground
    return app
