"""Outgoing webhooks, signed like Shopify's, with retries and (on request) duplicates and shuffled order.

The body is rendered when the event happens (a later change never leaks into an earlier delivery). Each delivery
gets its own `X-Shopify-Webhook-Id`; a duplicate keeps the `X-Shopify-Event-Id` (the documented dedupe key).
Non-2xx answers and connection errors are retried with exponential backoff up to `max_attempts` (Shopify: 8 over
4 h; the sandbox compresses the schedule with `retry_base`). Deliveries run on the app's event loop; `emit` may be
called from any thread.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

import httpx

from app.shopify.sandbox import rest


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class WebhookOptions:
    duplicate_rate: float = 0.0      # share of deliveries sent twice (same event id)
    shuffle: bool = False            # deliver each batch in random order
    shuffle_hold: float = 0.3        # seconds to gather a batch before shuffling
    max_attempts: int = 8
    retry_base: float = 0.2          # first retry after this many seconds, doubling
    timeout: float = 5.0
    seed: int = 0


@dataclass
class Delivery:
    topic: str
    url: str
    body: bytes
    event_id: str
    webhook_id: str
    triggered_at: str
    subscription_id: str
    attempts: int = 0
    status: int | None = None
    error: str | None = None
    delivered: bool = False
    history: list = field(default_factory=list)


class WebhookDispatcher:
    def __init__(self, store, api_version: str, options: WebhookOptions | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.store, self.api_version = store, api_version
        self.options = options or WebhookOptions()
        self.transport = transport
        self.random = random.Random(self.options.seed)
        self.pending: list[Delivery] = []
        self.log: list[Delivery] = []
        self.inflight = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        store.listeners.append(self.on_event)

    # --- producing (any thread) ---------------------------------------------------------------------------------
    def on_event(self, topic: str, source: dict) -> None:
        subs = [s for s in list(self.store.subscriptions.values()) if s["_topic"] == topic]
        if not subs:
            return
        body = json.dumps(rest.body_for(topic, source), separators=(",", ":")).encode()
        event_id = str(uuid.uuid4())
        triggered = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        with self._lock:
            for sub in subs:
                copies = 2 if self.random.random() < self.options.duplicate_rate else 1
                for _ in range(copies):
                    delivery = Delivery(topic, sub["uri"], body, event_id, str(uuid.uuid4()), triggered, sub["id"])
                    self.pending.append(delivery)
                    self.log.append(delivery)
        self._signal()

    def _signal(self) -> None:
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    # --- delivering (event loop) --------------------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._client = httpx.AsyncClient(transport=self.transport, timeout=self.options.timeout)
        self._task = asyncio.create_task(self._run(), name="sandbox-webhooks")
        if self.pending:
            self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        if getattr(self, "_client", None) is not None:
            await self._client.aclose()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self.options.shuffle:
                await asyncio.sleep(self.options.shuffle_hold)
            with self._lock:
                batch, self.pending = self.pending, []
                self.inflight += len(batch)
            if self.options.shuffle:
                self.random.shuffle(batch)
            for delivery in batch:
                await self._attempt(delivery)

    async def _attempt(self, delivery: Delivery) -> None:
        delivery.attempts += 1
        try:
            response = await self._client.post(delivery.url, content=delivery.body, headers=self.headers(delivery))
            delivery.status, delivery.error = response.status_code, None
            ok = 200 <= response.status_code < 300
        except httpx.HTTPError as exc:
            delivery.status, delivery.error, ok = None, f"{type(exc).__name__}: {exc}", False
        delivery.history.append((time.time(), delivery.status, delivery.error))
        if ok or delivery.attempts >= self.options.max_attempts:
            delivery.delivered = ok
            with self._lock:
                self.inflight -= 1
            return
        delay = self.options.retry_base * (2 ** (delivery.attempts - 1))
        self._loop.call_later(delay, lambda: asyncio.ensure_future(self._attempt(delivery)))

    def headers(self, delivery: Delivery) -> dict[str, str]:
        return {"Content-Type": "application/json", "X-Shopify-Topic": delivery.topic,
                "X-Shopify-Hmac-Sha256": sign(delivery.body, self.store.webhook_secret),
                "X-Shopify-Shop-Domain": self.store.profile.domain, "X-Shopify-API-Version": self.api_version,
                "X-Shopify-Webhook-Id": delivery.webhook_id, "X-Shopify-Event-Id": delivery.event_id,
                "X-Shopify-Triggered-At": delivery.triggered_at}

    async def flush(self, timeout: float = 30.0) -> bool:
        """Wait until nothing is pending or in flight (retries included); False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                idle = not self.pending and self.inflight == 0
            if idle:
                return True
            self._signal()
            await asyncio.sleep(0.02)
        return False

    def summary(self) -> list[dict]:
        return [{"topic": d.topic, "url": d.url, "eventId": d.event_id, "webhookId": d.webhook_id,
                 "attempts": d.attempts, "status": d.status, "delivered": d.delivered, "error": d.error}
                for d in list(self.log)]
