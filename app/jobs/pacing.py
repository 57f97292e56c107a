"""Requests first: an embedded worker gives way to the HTTP requests its process is serving.

Why: in the embedded mode (`taxrecon serve` with its in-process worker) requests and jobs share one Python process,
so one GIL, and on SQLite one write lock. A worker draining a backlog (say, the ingest jobs of a webhook burst) would
otherwise take half the interpreter and hold the write lock between the webhook writer's commits, and the requests
that matter most would wait: Shopify times a webhook delivery out after 5 s and counts failures against the
subscription. Jobs are durable in the outbox, so letting them wait costs only time.

How: `ForegroundMiddleware` counts the requests in flight in `Foreground`. Before each job transaction the
executor calls `give_way()`, and so does the sweeper before each claim: while requests are in flight (or ended
less than `QUIET_SECONDS` ago) it sleeps in small steps, but never longer than `MAX_WAIT_SECONDS` in a row. Below
saturation requests leave gaps, and jobs run in them; a saturated process defers its jobs, yet still runs one
transaction every `MAX_WAIT_SECONDS` at least. (Measured: a backlog of ingest jobs drained at full pace between
requests cost webhook intake a quarter of its rate and p99 latencies over 60 ms; see tests/bench/bench_webhooks.py.)
A `taxrecon worker` process serves no requests and never waits.
The counters are plain ints written by the serving loop and read by the worker's loop thread (the GIL makes each
read and write whole; a momentarily stale read only shifts a pause by one step).
"""

from __future__ import annotations

import asyncio
import time

from starlette.types import ASGIApp, Receive, Scope, Send

QUIET_SECONDS = 0.005
STEP_SECONDS = 0.02
MAX_WAIT_SECONDS = 5.0
UNPACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class Foreground:
    """How busy this process is with requests."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.last_end = 0.0
        self.waited_seconds = 0.0  # total the worker gave way (for tests and /metrics-style reporting)
        self._waiting: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}  # per loop: one waiter polls

    def busy(self) -> bool:
        return self.in_flight > 0 or time.monotonic() - self.last_end < QUIET_SECONDS

    async def give_way(self) -> None:
        """Wait while requests are being served, at most `MAX_WAIT_SECONDS` (each waiter, after its turn)."""
        if not self.busy():
            return
        loop = asyncio.get_running_loop()
        waiting = self._waiting.get(loop) or self._waiting.setdefault(loop, asyncio.Lock())
        async with waiting:  # the worker's threads share one loop: a single poller, not one per job
            started = time.monotonic()
            while self.busy() and time.monotonic() - started < MAX_WAIT_SECONDS:
                await asyncio.sleep(STEP_SECONDS)
            self.waited_seconds += time.monotonic() - started


class ForegroundMiddleware:
    """Counts the HTTP requests in flight (probes of health and metrics excepted)."""

    def __init__(self, app: ASGIApp, foreground: Foreground) -> None:
        self.app = app
        self.foreground = foreground

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in UNPACED_PATHS:
            await self.app(scope, receive, send)
            return
        foreground = self.foreground
        foreground.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            foreground.in_flight -= 1
            foreground.last_end = time.monotonic()
