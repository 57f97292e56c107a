"""Incremental sync: orders updated since the watermark (with an overlap window), webhook subscriptions kept alive.

One `shopify.sync_shop` job handles a slice of pages (bounded in pages, orders and seconds): its fetch phase reads
them from Shopify, waiting for the throttle as it must, with no transaction open (`fetch_slice`); then its
transaction stores them with the watermark and its done-mark (`store_slice`) and enqueues the next slice with the
cursor. So a page's orders and the watermark that covers them commit atomically, a crash re-reads at most one
slice, and on SQLite the single write lock is held only while storing, never while waiting on Shopify (webhook
intake needs it: Shopify gives a delivery 5 s).

Window: updated since (watermark - overlap). Pages are sorted by UPDATED_AT, so the watermark moves forward page by
page, and an order updated while we page moves behind the cursor and is read again rather than skipped. Upserts
apply only newer `updatedAt`, so re-reading the overlap costs nothing but a few points.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.commerce.service import OrderIngest
from app.config import Settings
from app.shopify.client import AdminClient, ShopifyReauthRequired
from app.shopify.models import ShopifySyncState
from app.shopify.overflow import complete_order
from app.shopify.throttle import MAX_SINGLE_QUERY_COST
from app.shops.models import Shop

log = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=5)
WEBHOOK_PATH = "/webhooks/shopify"
# Topics we subscribe to; the first three are required for going live (binding health).
REQUIRED_TOPICS = ("ORDERS_CREATE", "FULFILLMENTS_CREATE", "FULFILLMENTS_UPDATE")
WANTED_TOPICS = REQUIRED_TOPICS + (
    "ORDERS_UPDATED", "ORDERS_PAID", "ORDERS_CANCELLED", "ORDERS_FULFILLED", "ORDERS_PARTIALLY_FULFILLED",
    "ORDERS_EDITED", "ORDERS_DELETE", "REFUNDS_CREATE", "RETURNS_REQUEST", "RETURNS_APPROVE", "RETURNS_DECLINE",
    "RETURNS_CANCEL", "RETURNS_CLOSE", "RETURNS_REOPEN", "RETURNS_PROCESS", "RETURNS_UPDATE",
    "INVENTORY_LEVELS_UPDATE", "APP_UNINSTALLED", "BULK_OPERATIONS_FINISH",
)
# Scope a topic needs (any one); topics not listed need none.
TOPIC_SCOPES = {"ORDERS": ("read_orders",), "REFUNDS": ("read_orders",), "FULFILLMENTS": (
    "read_fulfillments", "read_orders", "read_merchant_managed_fulfillment_orders"),
    "RETURNS": ("read_returns",), "INVENTORY": ("read_inventory",)}

# Tests and the sandbox demo inject their transport here (e.g. httpx.ASGITransport over the sandbox app).
HttpFactory = Callable[[], httpx.AsyncClient]
http_factory: HttpFactory | None = None


def client_for_shop(settings: Settings, shop: Shop, access_token: str | None,
                    http: httpx.AsyncClient | None = None, **kwargs: Any) -> AdminClient:
    if not access_token:
        raise ShopifyReauthRequired(f"no access token is stored for {shop.domain}; re-authorise the app")
    owns = http is None
    if http is None and http_factory is not None:
        http = http_factory()
    return AdminClient(shop.domain, shop.admin_api_base, access_token, settings.shopify_api_version, http=http,
                       owns_http=owns, **kwargs)


def webhook_url(settings: Settings) -> str:
    return settings.public_url.rstrip("/") + WEBHOOK_PATH


def topic_allowed(topic: str, scopes: set[str]) -> bool:
    needed = TOPIC_SCOPES.get(topic.split("_", 1)[0])
    if not needed:
        return True
    writes = {s.replace("write_", "read_", 1) for s in scopes if s.startswith("write_")}
    return bool((scopes | writes).intersection(needed))


async def list_webhooks(client: AdminClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    after = None
    while True:
        data = await client.execute("webhook_subscriptions", {"first": 100, "after": after})
        connection = data["webhookSubscriptions"]
        found.extend(connection["nodes"])
        if not connection["pageInfo"]["hasNextPage"]:
            return found
        after = connection["pageInfo"]["endCursor"]


@dataclass
class WebhookReport:
    url: str
    present: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    skipped_no_scope: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def ensure_webhooks(client: AdminClient, settings: Settings, scopes: set[str] | None = None) -> WebhookReport:
    """Create every wanted subscription that is missing (pointing at our intake URL); report what was done."""
    url = webhook_url(settings)
    report = WebhookReport(url)
    scopes = scopes if scopes is not None else set(await client.granted_scopes())
    ours = {w["topic"] for w in await list_webhooks(client) if w.get("uri") == url}
    for topic in WANTED_TOPICS:
        if topic in ours:
            report.present.append(topic)
        elif not topic_allowed(topic, scopes):
            report.skipped_no_scope.append(topic)
        else:
            data = await client.execute("webhook_subscription_create", {"topic": topic, "uri": url})
            errors = data["webhookSubscriptionCreate"]["userErrors"]
            if errors:
                report.errors.append(f"{topic}: {errors[0]['message']}")
            else:
                report.created.append(topic)
    if report.created:
        log.info("shopify %s: re-created webhook subscriptions %s", client.shop_domain, report.created)
    return report


def search_window(start: datetime | None) -> str:
    """Shopify search for orders updated since `start` (all orders when None)."""
    return "" if start is None else f"updated_at:>='{_iso(start)}'"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def page_size(client: AdminClient, query: str) -> int:
    """Orders per page so that one page's requested cost fits Shopify's cap and the bucket."""
    cap = min(MAX_SINGLE_QUERY_COST, client.bucket.maximum or MAX_SINGLE_QUERY_COST)
    one = client.requested_cost("orders_updated_since", {"first": 1, "query": query})
    two = client.requested_cost("orders_updated_since", {"first": 2, "query": query})
    per_order = max(1, two - one)
    return max(1, min(250, (cap - (one - per_order)) // per_order))


@dataclass
class PageResult:
    nodes: list[dict[str, Any]]
    has_next: bool
    cursor: str | None
    truncated: int = 0


async def fetch_page(client: AdminClient, query: str, cursor: str | None) -> PageResult:
    first = page_size(client, query)
    data = await client.execute("orders_updated_since", {"first": first, "after": cursor, "query": query})
    connection = data["orders"]
    result = PageResult([], connection["pageInfo"]["hasNextPage"], connection["pageInfo"]["endCursor"])
    for node in connection["nodes"]:
        if not await complete_order(client, node):
            result.truncated += 1
        result.nodes.append(node)
    return result


@dataclass
class StoreCounts:
    applied: int = 0
    stale: int = 0
    unchanged: int = 0
    failed: list[str] = field(default_factory=list)

    def add(self, other: StoreCounts) -> None:
        self.applied += other.applied
        self.stale += other.stale
        self.unchanged += other.unchanged
        self.failed.extend(other.failed)

    @property
    def total(self) -> int:
        return self.applied + self.stale + self.unchanged


def add_node(ingest: OrderIngest, node: dict[str, Any], counts: StoreCounts) -> None:
    """Map one GraphQL order node into `ingest`; a node that cannot be mapped is counted as failed and logged."""
    from app.shopify.mapping import MappingError, order_from_graphql

    try:
        record = order_from_graphql(node)
    except MappingError as exc:
        counts.failed.append(f"{node.get('id')}: {exc}")
        log.warning("shopify order %s could not be mapped: %s", node.get("id"), exc)
        return
    ingest.add(record)


async def write_orders(session: AsyncSession, ingest: OrderIngest, counts: StoreCounts) -> None:
    """Write the orders added to `ingest`; their own outcomes (not their refunds' etc.) are added to `counts`."""
    for results in await ingest.write(session):
        status = results[0].status
        setattr(counts, status, getattr(counts, status) + 1)


async def store_orders(session: AsyncSession, shop_id: uuid.UUID, nodes: list[dict[str, Any]],
                       source: str = "shopify_sync") -> StoreCounts:
    """Map GraphQL order nodes and store them in one batch (idempotent; newer updatedAt wins; the counts are the
    orders' own outcomes, exactly as one-by-one upserts in node order would give them)."""
    counts, ingest = StoreCounts(), OrderIngest(shop_id, source=source)
    for node in nodes:
        add_node(ingest, node, counts)
    await write_orders(session, ingest, counts)
    return counts


async def sync_state(session: AsyncSession, shop_id: uuid.UUID) -> ShopifySyncState:
    state = await session.get(ShopifySyncState, shop_id)
    if state is None:
        state = ShopifySyncState(shop_id=shop_id, last_sync_orders=0)
        session.add(state)
        await session.flush()
    return state


@dataclass
class SliceLimits:
    max_pages: int = 50
    max_seconds: float = 5.0
    max_orders: int = 500  # what one fetch phase holds in memory (as GraphQL JSON) before its job stores it


@dataclass
class FetchedSlice:
    """The order nodes of a slice's pages, read from Shopify before the job's transaction."""

    pages: list[list[dict[str, Any]]]
    cursor: str | None
    finished: bool

    @property
    def orders(self) -> int:
        return sum(len(nodes) for nodes in self.pages)


async def fetch_slice(client: AdminClient, query: str, cursor: str | None, limits: SliceLimits) -> FetchedSlice:
    """Read pages until the window is done or the slice's limits are reached (network only, no database)."""
    fetched = FetchedSlice([], cursor, False)
    started = time.monotonic()
    while True:
        page = await fetch_page(client, query, fetched.cursor)
        fetched.pages.append(page.nodes)
        fetched.cursor = page.cursor
        if not page.has_next:
            fetched.finished = True
            return fetched
        if (len(fetched.pages) >= limits.max_pages or fetched.orders >= limits.max_orders
                or time.monotonic() - started >= limits.max_seconds):
            return fetched


async def store_slice(session: AsyncSession, shop_id: uuid.UUID, state: ShopifySyncState,
                      fetched: FetchedSlice) -> StoreCounts:
    """Store a fetched slice page by page, moving the watermark with each page (one transaction: the caller's)."""
    counts = StoreCounts()
    for nodes in fetched.pages:
        counts.add(await store_orders(session, shop_id, nodes))
        newest = max((parse_iso(n["updatedAt"]) for n in nodes), default=None)
        if newest is not None and (state.orders_watermark is None or newest > state.orders_watermark):
            state.orders_watermark = newest
    await session.flush()
    return counts


def window_start(state: ShopifySyncState | None, since: datetime | None) -> datetime | None:
    if since is not None:
        return since
    return None if state is None or state.orders_watermark is None else state.orders_watermark - OVERLAP
