"""AdminClient against a scripted httpx.MockTransport: throttling, retries, 401, partial errors, idempotency."""

from __future__ import annotations

import json
import random

import httpx
import pytest

from app.shopify.client import (
    AdminClient,
    RetryPolicy,
    ShopifyQueryError,
    ShopifyReauthRequired,
    ShopifyUnavailable,
    idempotency_key,
)
from app.shopify.throttle import CostBucket

SHOP = "acme.myshopify.com"


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def cost(available: float, requested: int = 2, actual: int | None = 2, maximum: float = 1000.0) -> dict:
    return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual,
                     "throttleStatus": {"maximumAvailable": maximum, "currentlyAvailable": available,
                                        "restoreRate": 100.0}}}


SCOPES = {"data": {"currentAppInstallation": {"accessScopes": [{"handle": "read_orders"}, {"handle": "write_orders"}]}}}


def make_client(responses: list, fake: FakeTime, **kwargs) -> tuple[AdminClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    script = iter(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = next(script)
        if isinstance(item, Exception):
            raise item
        return item

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = AdminClient(SHOP, "https://acme.myshopify.com", "shpat_secret", "2026-10", http=http,
                         retry=kwargs.pop("retry", RetryPolicy(max_attempts=4, backoff_base=0.5)),
                         sleep=fake.sleep, clock=fake.clock, rng=random.Random(7),
                         bucket=CostBucket(restore_rate=100.0, clock=fake.clock), **kwargs)
    return client, seen


def ok(body: dict, status: int = 200, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


async def test_posts_pinned_version_with_token_and_reads_granted_scopes() -> None:
    fake = FakeTime()
    client, seen = make_client([ok({**SCOPES, "extensions": cost(998)})], fake)
    assert await client.granted_scopes() == ["read_orders", "write_orders"]
    assert str(seen[0].url) == "https://acme.myshopify.com/admin/api/2026-10/graphql.json"
    assert seen[0].headers["X-Shopify-Access-Token"] == "shpat_secret"
    body = json.loads(seen[0].content)
    assert body["operationName"] == "AccessScopes" and "accessScopes" in body["query"]


async def test_throttled_with_http_200_waits_for_the_bucket_and_retries() -> None:
    fake = FakeTime()
    throttled = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                 "extensions": cost(10, requested=510, actual=None)}
    client, seen = make_client([ok(throttled), ok({**SCOPES, "extensions": cost(500)})], fake)
    assert await client.granted_scopes() == ["read_orders", "write_orders"]
    assert len(seen) == 2
    assert fake.sleeps == [pytest.approx(5.0)]  # (510 - 10) points at 100 points/s
    assert client.stats["throttled"] == 1


async def test_429_honours_retry_after() -> None:
    fake = FakeTime()
    client, seen = make_client([httpx.Response(429, headers={"Retry-After": "2.5"}),
                                ok({**SCOPES, "extensions": cost(900)})], fake)
    await client.granted_scopes()
    assert fake.sleeps == [2.5] and len(seen) == 2


async def test_5xx_and_network_errors_are_retried_with_jittered_backoff() -> None:
    fake = FakeTime()
    client, seen = make_client([httpx.Response(503), httpx.ConnectError("refused"), httpx.Response(502),
                                ok({**SCOPES, "extensions": cost(900)})], fake)
    await client.granted_scopes()
    assert len(seen) == 4
    assert len(fake.sleeps) == 3
    for attempt, slept in enumerate(fake.sleeps):
        assert 0 <= slept <= 0.5 * 2 ** attempt


async def test_5xx_beyond_the_budget_raises_unavailable() -> None:
    fake = FakeTime()
    client, seen = make_client([httpx.Response(500)] * 4, fake)
    with pytest.raises(ShopifyUnavailable, match="after 4 attempts"):
        await client.granted_scopes()
    assert len(seen) == 4


async def test_internal_server_error_in_body_is_retried() -> None:
    fake = FakeTime()
    failed = {"errors": [{"message": "Internal error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}
    client, seen = make_client([ok(failed), ok({**SCOPES, "extensions": cost(900)})], fake)
    await client.granted_scopes()
    assert len(seen) == 2


async def test_401_raises_reauth_with_a_clear_message() -> None:
    fake = FakeTime()
    client, _ = make_client([httpx.Response(401, json={"errors": "Invalid API key or access token"})], fake)
    with pytest.raises(ShopifyReauthRequired, match="expired or was revoked") as caught:
        await client.granted_scopes()
    assert caught.value.code == "SHOPIFY_REAUTH_REQUIRED"


async def test_never_sends_what_the_bucket_cannot_pay_for() -> None:
    fake = FakeTime()
    page = {"data": {"orders": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": []}}}
    client, seen = make_client([ok({**page, "extensions": cost(100, requested=617, actual=3)}),
                                ok({**page, "extensions": cost(100, requested=617, actual=3)})], fake)
    variables = {"first": 1, "query": "updated_at:>='2026-11-01T00:00:00Z'"}
    await client.execute("orders_updated_since", variables)
    assert fake.sleeps == []  # the bucket was unknown: the first query goes out
    await client.execute("orders_updated_since", variables)
    assert fake.sleeps == [pytest.approx(5.17)]  # 617 requested, 100 available, 100/s
    assert len(seen) == 2


async def test_nested_errors_keep_the_order_and_are_reported_as_warnings() -> None:
    fake = FakeTime()
    body = {"data": {"order": {"id": "gid://shopify/Order/1", "lineItems": {
        "pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": [{"id": "gid://shopify/LineItem/9",
                                                                         "variant": None, "product": None}]}}},
            "errors": [{"message": "Product not found", "path": ["order", "lineItems", "nodes", 0, "product"]}],
            "extensions": cost(900)}
    client, _ = make_client([ok(body)], fake)
    data = await client.execute("order_line_items", {"id": "gid://shopify/Order/1", "first": 50})
    assert data["order"]["lineItems"]["nodes"][0]["product"] is None
    assert client.last_warnings[0]["message"] == "Product not found"


async def test_top_level_errors_raise_with_shopify_code() -> None:
    fake = FakeTime()
    body = {"errors": [{"message": "Query cost is 1200, which exceeds the single query max cost limit (1000).",
                        "extensions": {"code": "MAX_COST_EXCEEDED"}}], "extensions": cost(1000)}
    client, _ = make_client([ok(body)], fake)
    with pytest.raises(ShopifyQueryError) as caught:
        await client.execute("orders_count", {"query": "x"})
    assert caught.value.error_code == "MAX_COST_EXCEEDED"


async def test_idempotent_mutations_need_a_key_derived_from_our_records() -> None:
    fake = FakeTime()
    payload = {"data": {"refundCreate": {"refund": None, "order": None, "userErrors": []}},
               "extensions": cost(990, requested=10, actual=10)}
    client, seen = make_client([ok(payload)], fake)
    variables = {"input": {"orderId": "gid://shopify/Order/1"}}
    with pytest.raises(ValueError, match="idempotencyKey"):
        await client.execute("refund_create", variables)
    key = idempotency_key("refund", "7f7d3a0e-1111-4a4a-9999-000000000001")
    assert key == idempotency_key("refund", "7f7d3a0e-1111-4a4a-9999-000000000001")
    assert key != idempotency_key("refund", "7f7d3a0e-1111-4a4a-9999-000000000002")
    await client.execute("refund_create", {**variables, "idempotencyKey": key})
    sent = json.loads(seen[0].content)
    assert "@idempotent(key: $idempotencyKey)" in sent["query"] and sent["variables"]["idempotencyKey"] == key


async def test_unknown_documents_are_refused() -> None:
    fake = FakeTime()
    client, seen = make_client([], fake)
    with pytest.raises(ValueError, match="no GraphQL document named"):
        await client.execute("{ shop { name } }")
    assert seen == []
