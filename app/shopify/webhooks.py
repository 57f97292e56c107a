"""`POST /webhooks/shopify`: verify, dedupe, store, answer — interpretation happens later, in the ingest job.

Order of checks (each failure stores nothing): body over `webhook_max_bytes` → 413 (Content-Length first, then the
bytes actually read, so a lying or chunked request is cut off too); no topic header → 400; unknown shop → 404;
missing or wrong HMAC → 401 (base64 HMAC-SHA256 of the raw body with the shop's webhook secret, compared in
constant time); not a JSON object → 400. Then the raw event and its outbox row are written in one transaction
(group-committed with concurrent deliveries, see `app.shopify.event_store`); `(shop, X-Shopify-Event-Id)` is unique,
so a redelivery answers 200 "already received" and enqueues nothing.
Topics we do not act on are stored as `ignored` with a log line and no job. Shopify wants a 2xx within 5 s: the
handler does one shop lookup and one short transaction, nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
import uuid
from datetime import datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.db import utcnow
from app.ids import time_ordered_uuid
from app.shopify.event_store import writer_for
from app.shopify.mapping.common import MappingError, gid, parse_body, parse_dt, rest_gid
from app.shops.service import get_shop_by_domain, shop_webhook_secret

log = logging.getLogger(__name__)

HANDLED_TOPICS = frozenset({
    "orders/create", "orders/updated", "orders/paid", "orders/cancelled", "orders/fulfilled",
    "orders/partially_fulfilled", "orders/edited", "orders/delete", "refunds/create", "fulfillments/create",
    "fulfillments/update", "returns/request", "returns/approve", "returns/decline", "returns/cancel", "returns/close",
    "returns/reopen", "returns/process", "returns/update", "inventory_levels/update", "app/uninstalled",
    "bulk_operations/finish", "customers/data_request", "customers/redact", "shop/redact",
    "order_transactions/create", "tender_transactions/create",
})
RESOURCE_TYPES = {"orders": "Order", "refunds": "Refund", "fulfillments": "Fulfillment", "returns": "Return",
                  "order_transactions": "OrderTransaction", "tender_transactions": "TenderTransaction"}


class BodyTooLarge(Exception):
    pass


class WebhookAnswer(JSONResponse):
    """A JSON answer rendered by orjson (same bytes as Starlette's compact `json.dumps` for these small objects)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def problem(status: int, code: str, message: str) -> JSONResponse:
    return WebhookAnswer({"error": code, "message": message}, status_code=status)


def sign(body: bytes, secret: str) -> str:
    """Shopify's signature: base64 of HMAC-SHA256 over the raw body with the webhook secret."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def signature_valid(body: bytes, secret: str, header: str | None) -> bool:
    if not header:
        return False
    return hmac.compare_digest(sign(body, secret).encode("ascii"), header.strip().encode("ascii", "replace"))


async def read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_for_intake(body: bytes, text: str) -> Any:
    """The body parsed to check it and to read its subject ids, nothing else: the ingest job parses the stored text
    again with `parse_body` (amounts as Decimal). orjson does this several times faster than `json`; what it
    refuses (a lone surrogate escape, say) goes through `parse_body`, which decides."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return parse_body(text)


def _subject_ids(topic: str, body: dict[str, Any]) -> tuple[str | None, str | None]:
    """(resource gid, customer gid) for redaction lookups later; never fails."""
    try:
        kind = RESOURCE_TYPES.get(topic.split("/", 1)[0])
        resource = rest_gid(body, kind) if kind else None
        customer = body.get("customer")
        customer_gid = rest_gid(customer, "Customer") if isinstance(customer, dict) else None
        return resource, customer_gid or gid("Customer", body.get("customer_id"))
    except MappingError:
        return None, None


def _event_identity(request: Request, topic: str, body: bytes) -> tuple[str, list[str]]:
    issues: list[str] = []
    event_id = request.headers.get("x-shopify-event-id")
    if event_id:
        return event_id.strip()[:200], issues
    webhook_id = request.headers.get("x-shopify-webhook-id")
    issues.append("X-Shopify-Event-Id header missing")
    if webhook_id:
        return f"webhook:{webhook_id.strip()[:190]}", issues
    return "sha256:" + hashlib.sha256(topic.encode() + b"\0" + body).hexdigest(), issues


def _triggered_at(request: Request, issues: list[str]) -> datetime | None:
    value = request.headers.get("x-shopify-triggered-at")
    if not value:
        issues.append("X-Shopify-Triggered-At header missing")
        return None
    try:
        return parse_dt(value)
    except ValueError:
        issues.append(f"X-Shopify-Triggered-At {value[:40]!r} is not an ISO 8601 time")
        return None


async def receive(request: Request) -> JSONResponse:
    state = request.app.state
    try:
        body = await read_limited(request, state.settings.webhook_max_bytes)
    except BodyTooLarge:
        return problem(413, "PAYLOAD_TOO_LARGE", f"webhook body exceeds {state.settings.webhook_max_bytes} bytes")
    topic = (request.headers.get("x-shopify-topic") or "").strip()
    if not topic:
        return problem(400, "TOPIC_MISSING", "X-Shopify-Topic header is missing")
    domain = (request.headers.get("x-shopify-shop-domain") or "").strip()
    known = await _shop_cache(state).lookup(state, domain) if domain else None
    if known is None:
        return problem(404, "UNKNOWN_SHOP", f"no shop {domain!r} is registered here" if domain
                       else "X-Shopify-Shop-Domain header is missing")
    shop_id, secret = known
    if secret is None or not signature_valid(body, secret, request.headers.get("x-shopify-hmac-sha256")):
        return problem(401, "HMAC_INVALID", "missing or invalid X-Shopify-Hmac-Sha256 for this shop")
    try:
        text = body.decode("utf-8")
        payload = _parse_for_intake(body, text)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return problem(400, "INVALID_JSON", "webhook body is not valid UTF-8 JSON")
    if not isinstance(payload, dict):
        return problem(400, "INVALID_JSON", "webhook body must be a JSON object")
    return await _store(request, shop_id, topic, body, text, payload)


async def _store(request: Request, shop_id: uuid.UUID, topic: str, body: bytes, text: str,
                 payload: dict[str, Any]) -> JSONResponse:
    event_id, issues = _event_identity(request, topic, body)
    triggered_at = _triggered_at(request, issues)
    handled = topic in HANDLED_TOPICS
    resource_gid, customer_gid = _subject_ids(topic, payload)
    row_id = time_ordered_uuid()
    values = {
        "id": row_id, "shop_id": shop_id, "event_id": event_id,
        "webhook_id": (request.headers.get("x-shopify-webhook-id") or None),
        "topic": topic[:100], "api_version": (request.headers.get("x-shopify-api-version") or None),
        "triggered_at": triggered_at, "received_at": utcnow(), "body": text,
        "resource_gid": resource_gid, "customer_gid": customer_gid,
        "status": "received" if handled else "ignored", "validation_issues": issues,
        "outcome": None if handled else f"topic {topic!r} is not handled",
    }
    stored = await writer_for(request.app.state).store(values, handled=handled)
    if not stored:
        return WebhookAnswer({"status": "already received", "event_id": event_id})
    if not handled:
        log.info("shopify webhook topic %s stored and ignored (shop %s, event %s)", topic, shop_id, event_id)
    return WebhookAnswer({"status": "stored" if handled else "ignored", "event_id": event_id})


class ShopCache:
    """Domain → (shop id, webhook secret) for a few seconds, so a burst of deliveries costs one lookup.

    Only known shops are cached. A rotated secret is picked up after `ttl` seconds at most (Shopify itself takes up
    to an hour to switch to a new secret, and keeps signing with the old one meanwhile).
    """

    def __init__(self, ttl: float = 5.0, size: int = 1024) -> None:
        self.ttl, self.size = ttl, size
        self._entries: dict[str, tuple[float, uuid.UUID, str | None]] = {}

    async def lookup(self, state: Any, domain: str) -> tuple[uuid.UUID, str | None] | None:
        now = time.monotonic()
        entry = self._entries.get(domain)
        if entry is not None and entry[0] > now:
            return entry[1], entry[2]
        async with state.database.sessionmaker() as session:
            shop = await get_shop_by_domain(session, domain)
            if shop is None:
                return None
            shop_id, secret = shop.id, shop_webhook_secret(shop, state.box)
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[domain] = (now + self.ttl, shop_id, secret)
        return shop_id, secret


def _shop_cache(state: Any) -> ShopCache:
    cache = getattr(state, "webhook_shop_cache", None)
    if cache is None:
        cache = ShopCache()
        state.webhook_shop_cache = cache
    return cache


def routes() -> list[Route]:
    return [Route("/webhooks/shopify", receive, methods=["POST"])]
