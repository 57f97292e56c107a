"""Scopes per token, Shopify's cost maths, the leaky bucket, THROTTLED, page-size limits and fault injection."""

from __future__ import annotations

from app.shopify.sandbox import generate_store
from app.shopify.sandbox.cost import LeakyBucket
from app.shopify.sandbox.executor import Executor
from tests.shopify.sandbox.conftest import FULL, READ_ONLY, URL

FULFIL = """mutation($fo: ID!) { fulfillmentCreate(fulfillment: {lineItemsByFulfillmentOrder: [{fulfillmentOrderId: $fo}]})
  { fulfillment { id } userErrors { message } } }"""


async def test_read_only_token_reads_orders_but_cannot_write_fulfilment_status(sandbox) -> None:
    body = await sandbox.gql("{ orders(first: 2) { nodes { id } } }", token=READ_ONLY)
    assert "errors" not in body and len(body["data"]["orders"]["nodes"]) == 2
    order = next(sandbox.store.order(i) for i in range(60) if sandbox.store.order(i)["fulfillmentOrders"][0][
        "status"] == "OPEN")
    body = await sandbox.gql(FULFIL, {"fo": order["fulfillmentOrders"][0]["id"]}, token=READ_ONLY)
    assert body["data"] == {"fulfillmentCreate": None}
    error = body["errors"][0]
    assert error["extensions"]["code"] == "ACCESS_DENIED" and error["path"] == ["fulfillmentCreate"]
    assert "write_merchant_managed_fulfillment_orders" in error["extensions"]["requiredAccess"]
    assert sandbox.store.order(order["_index"])["fulfillments"] == order["fulfillments"]  # nothing changed
    scopes = await sandbox.gql("{ currentAppInstallation { accessScopes { handle } } }", token=READ_ONLY)
    handles = {s["handle"] for s in scopes["data"]["currentAppInstallation"]["accessScopes"]}
    assert "read_orders" in handles and not any(h.startswith("write_") for h in handles)


async def test_requested_and_actual_cost_follow_shopifys_rules(sandbox) -> None:
    body = await sandbox.gql("{ orders(first: 10) { edges { node { id } } } }")
    assert body["extensions"]["cost"]["requestedQueryCost"] == 2 + 10 * 1
    assert body["extensions"]["cost"]["actualQueryCost"] == 12
    nested = "{ orders(first: 5) { nodes { id totalPriceSet { shopMoney { amount } } lineItems(first: 3) { nodes { id } } } } }"
    body = await sandbox.gql(nested)
    # per order: node 1 + MoneyBag 1 + MoneyV2 1 + lineItems (2 + 3 × 1) = 8 → 2 + 5 × 8
    assert body["extensions"]["cost"]["requestedQueryCost"] == 42
    lines = sum(min(len(n["lineItems"]["nodes"]), 3) for n in body["data"]["orders"]["nodes"])
    assert body["extensions"]["cost"]["actualQueryCost"] == 2 + 5 * (1 + 2 + 2) + lines
    mutation = await sandbox.gql('mutation { webhookSubscriptionDelete(id: "gid://shopify/WebhookSubscription/9") '
                                 '{ userErrors { message } } }')
    assert mutation["extensions"]["cost"]["requestedQueryCost"] == 10


async def test_page_size_limits_and_max_cost(sandbox) -> None:
    body = await sandbox.gql("{ orders(first: 251) { nodes { id } } }")
    assert body["errors"][0]["extensions"]["code"] == "PAGE_SIZE_EXCEEDED" and "data" not in body
    body = await sandbox.gql("{ orders(query: \"test:false\") { nodes { id } } }")
    assert body["errors"][0]["message"] == "you must provide one of first or last"
    body = await sandbox.gql("{ orders(first: 250) { nodes { id lineItems(first: 10) { nodes { id } } } } }")
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert body["extensions"]["cost"]["requestedQueryCost"] == 2 + 250 * 13
    assert body["extensions"]["cost"]["actualQueryCost"] is None


def test_leaky_bucket_restores_at_the_plan_rate() -> None:
    now = [0.0]
    bucket = LeakyBucket(2000, 100, clock=lambda: now[0])
    assert bucket.try_take(1500) and not bucket.try_take(600)
    now[0] = 1.0                                           # +100 points
    assert bucket.status() == {"maximumAvailable": 2000.0, "currentlyAvailable": 600, "restoreRate": 100.0}
    assert bucket.try_take(600)
    now[0] = 100.0
    assert bucket.status()["currentlyAvailable"] == 2000   # capped at the bucket size


def test_throttled_when_the_bucket_cannot_pay_then_served_after_restore() -> None:
    store = generate_store(seed=1, orders=30, plan="standard")
    now = [0.0]
    executor = Executor(store, None, clock=lambda: now[0])
    grant = store.tokens[FULL]
    query = {"query": "{ orders(first: 80) { nodes { id name lineItems(first: 8) { nodes { id } } } } }"}
    costs = []
    while True:
        body = executor.run(grant, query, "2026-10", "http://sandbox")
        if "errors" in body:
            break
        costs.append(body["extensions"]["cost"])
    assert body["errors"] == [{"message": "Throttled", "extensions": {
        "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}]
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 2 + 80 * 11 and cost["actualQueryCost"] is None
    available = cost["throttleStatus"]["currentlyAvailable"]
    assert available < 882 and cost["throttleStatus"]["restoreRate"] == 100.0
    # the refund of unused points is what let several 882-point queries through a 2000-point bucket
    assert len(costs) >= 2 and all(c["actualQueryCost"] < c["requestedQueryCost"] for c in costs)
    now[0] += (882 - available) / 100 + 0.01
    assert "errors" not in executor.run(grant, query, "2026-10", "http://sandbox")


async def test_injected_5xx_and_429(sandbox) -> None:
    headers = {"X-Shopify-Access-Token": FULL}
    sandbox.services.faults.update({"fail_every": 3, "throttle_every": 4, "retry_after": 2.0})
    statuses = []
    for _ in range(8):
        response = await sandbox.client.post(URL, json={"query": "{ shop { name } }"}, headers=headers)
        statuses.append((response.status_code, response.headers.get("Retry-After")))
    assert statuses == [(200, None), (200, None), (503, None), (429, "2"), (200, None), (503, None), (200, None),
                        (429, "2")]
    sandbox.services.faults.update({"fail_every": None, "throttle_every": None})
    assert (await sandbox.client.post(URL, json={"query": "{ shop { name } }"}, headers=headers)).status_code == 200


async def test_empty_bucket_can_answer_429_with_retry_after(sandbox) -> None:
    sandbox.services.faults.update({"throttle_as_429": True})
    bucket = sandbox.services.executor.bucket(FULL)
    assert bucket.try_take(bucket.status()["currentlyAvailable"] - 5)
    response = await sandbox.client.post(URL, json={"query": "{ orders(first: 250) { nodes { id } } }"},
                                         headers={"X-Shopify-Access-Token": FULL})
    assert response.status_code == 429 and float(response.headers["Retry-After"]) > 0
    sandbox.services.faults.update({"throttle_as_429": False})
    body = (await sandbox.client.post(URL, json={"query": "{ orders(first: 250) { nodes { id } } }"},
                                      headers={"X-Shopify-Access-Token": FULL})).json()
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
