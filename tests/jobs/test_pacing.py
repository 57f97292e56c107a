"""The embedded worker gives way to requests in flight, but never for longer than MAX_WAIT_SECONDS in a row."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from app.jobs import pacing
from app.jobs.pacing import Foreground, ForegroundMiddleware


async def test_an_idle_process_does_not_wait() -> None:
    foreground = Foreground()
    started = time.monotonic()
    await foreground.give_way()
    assert time.monotonic() - started < 0.01 and foreground.waited_seconds == 0


async def test_the_worker_waits_until_the_requests_end() -> None:
    foreground = Foreground()
    foreground.in_flight = 1

    async def finish_request() -> None:
        await asyncio.sleep(0.05)
        foreground.in_flight = 0
        foreground.last_end = time.monotonic()

    ending = asyncio.create_task(finish_request())
    started = time.monotonic()
    await foreground.give_way()
    await ending
    waited = time.monotonic() - started
    assert 0.05 <= waited < 0.05 + pacing.QUIET_SECONDS + 0.05


async def test_under_sustained_load_the_worker_still_gets_a_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pacing, "MAX_WAIT_SECONDS", 0.05)
    foreground = Foreground()
    foreground.in_flight = 3  # never ends
    started = time.monotonic()
    await foreground.give_way()
    assert 0.05 <= time.monotonic() - started < 0.2
    assert foreground.waited_seconds >= 0.05


async def test_the_middleware_counts_requests_but_not_probes() -> None:
    foreground = Foreground()
    seen: list[int] = []

    async def work(_request: object) -> PlainTextResponse:
        seen.append(foreground.in_flight)
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/work", work), Route("/healthz", work)])
    wrapped = ForegroundMiddleware(app, foreground)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=wrapped), base_url="http://t") as client:
        await client.get("/work")
        before_probe = foreground.last_end
        await client.get("/healthz")
    assert seen == [1, 0]
    assert foreground.in_flight == 0 and foreground.last_end == before_probe > 0


async def test_a_job_transaction_waits_for_the_requests_in_flight(db, job_settings,  # type: ignore[no-untyped-def]
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from app.jobs.executor import Executor

    monkeypatch.setattr(pacing, "MAX_WAIT_SECONDS", 0.1)
    foreground = Foreground()
    foreground.in_flight = 1
    executor = Executor(job_settings, db, foreground=foreground)
    started = time.monotonic()
    async with executor.transaction():
        entered = time.monotonic() - started
    assert entered >= 0.1 and foreground.waited_seconds >= 0.1
    foreground.in_flight, foreground.last_end = 0, 0.0
    started = time.monotonic()
    async with executor.transaction():
        assert time.monotonic() - started < 0.1  # an idle process does not wait
