"""Liveness and readiness endpoints."""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse

from app import __version__

log = logging.getLogger(__name__)
READY_TIMEOUT_SECONDS = 3.0


async def healthz(request: Request) -> JSONResponse:
    """The process is up and serving. Says nothing about dependencies (that is /readyz)."""
    return JSONResponse({"status": "ok", "version": __version__})


async def readyz(request: Request) -> JSONResponse:
    """Ready when the database and the broker both answer within a few seconds; 503 naming what failed otherwise."""
    state = request.app.state
    checks: dict[str, str] = {}
    for name, probe in (("database", state.database.ping), ("broker", state.jobs.ping)):
        try:
            await asyncio.wait_for(probe(), READY_TIMEOUT_SECONDS)
            checks[name] = "ok"
        except Exception as exc:  # noqa: BLE001 — any failure means not ready; the reason is reported
            log.warning("readiness check %s failed: %s", name, exc)
            checks[name] = f"unavailable: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503)
