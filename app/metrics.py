"""Prometheus metrics for one process: HTTP requests and latency, plus job-queue gauges read at scrape time.

Each app gets its own `CollectorRegistry` so that several apps in one test process do not collide.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "taxrecon_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "taxrecon_http_request_duration_seconds", "HTTP request latency", ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10), registry=self.registry,
        )
        self.jobs = Gauge("taxrecon_jobs", "Outbox jobs by status", ["status"], registry=self.registry)

    async def render(self, refresh: Callable[[], Awaitable[dict[str, int]]] | None = None) -> Response:
        if refresh is not None:
            for status, count in (await refresh()).items():
                self.jobs.labels(status=status).set(count)
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Counts every HTTP request by route template (not raw path, so ids do not explode the label set)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_holder = {"status": 500}

        async def send_wrapper(message: dict) -> None:  # type: ignore[type-arg]
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = _route_name(scope)
            method = scope.get("method", "GET")
            self.metrics.requests.labels(method, route, str(status_holder["status"])).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)


def _route_name(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


async def metrics_endpoint(request: Request) -> Response:
    state = request.app.state
    jobs = getattr(state, "jobs", None)
    refresh = None
    if jobs is not None and hasattr(jobs, "counts"):
        refresh = jobs.counts
    return await state.metrics.render(refresh)
