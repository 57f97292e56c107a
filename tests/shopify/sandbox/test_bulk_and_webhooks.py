"""Bulk operations write Shopify's JSONL (children with __parentId after their parent); webhooks are signed,
retried, duplicated and shuffled on request."""

from __future__ import annotations

import asyncio
import json

import httpx
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from app.shopify.sandbox import generate_store
from app.shopify.sandbox.webhooks import WebhookOptions, sign
from tests.shopify.sandbox.conftest import open_sandbox

BULK = '''{ orders { edges { node { id name totalPriceSet { shopMoney { amount } }
  refunds { id refundLineItems { edges { node { __typename id quantity } } } }
  lineItems { edges { node { __typename id sku quantity } } } } } } }'''
RUN = """mutation($q: String!) { bulkOperationRunQuery(query: $q, groupObjects: true) {
  bulkOperation { id status } userErrors { field message code } } }"""
POLL = "query($id: ID!) { bulkOperation(id: $id) { id status errorCode objectCount rootObjectCount url partialDataUrl } }"


async def _run_bulk(sandbox, query: str) -> dict:
    body = await sandbox.gql(RUN, {"q": query})
    assert body["data"]["bulkOperationRunQuery"]["userErrors"] == []
    op_id = body["data"]["bulkOperationRunQuery"]["bulkOperation"]["id"]
    for _ in range(600):
        node = (await sandbox.gql(POLL, {"id": op_id}))["data"]["bulkOperation"]
        if node["status"] not in ("CREATED", "RUNNING"):
            return node
        await asyncio.sleep(0.05)
    raise AssertionError("bulk operation did not finish")


async def test_bulk_jsonl_shape(sandbox) -> None:
    node = await _run_bulk(sandbox, BULK)
    assert node["status"] == "COMPLETED" and node["rootObjectCount"] == "60"
    text = (await sandbox.client.get(node["url"].replace("http://sandbox.test", ""))).text
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) == int(node["objectCount"])
    roots = [line for line in lines if "__parentId" not in line]
    assert [r["id"] for r in roots] == [sandbox.store.order(i)["id"] for i in range(60)]
    owner = None
    refund_owner = {}
    for line in lines:
        if "__parentId" not in line:
            owner = line["id"]
            refund_owner.update({r["id"]: owner for r in line["refunds"]})
            assert all("refundLineItems" not in r for r in line["refunds"])   # connections never inline
            continue
        if line["__typename"] == "LineItem":
            assert line["__parentId"] == owner                               # right after its parent
        else:
            assert line["__typename"] == "RefundLineItem" and refund_owner[line["__parentId"]] == owner
    expected_lines = sum(len(sandbox.store.order(i)["lineItems"]) for i in range(60))
    assert sum(1 for line in lines if line.get("__typename") == "LineItem") == expected_lines


async def test_bulk_rejects_invalid_queries_and_fails_midway_on_request(sandbox) -> None:
    body = await sandbox.gql(RUN, {"q": "{ orders { edges { node { id nope } } } }"})
    error = body["data"]["bulkOperationRunQuery"]["userErrors"][0]
    assert error["code"] == "INVALID" and "nope" in error["message"]
    sandbox.services.faults.update({"bulk_fail_after": 50})
    node = await _run_bulk(sandbox, BULK)
    assert node["status"] == "FAILED" and node["errorCode"] == "INTERNAL_SERVER_ERROR" and node["url"] is None
    partial = (await sandbox.client.get(node["partialDataUrl"].replace("http://sandbox.test", ""))).text
    assert 0 < len(partial.splitlines()) <= 50


async def test_bulk_refuses_three_levels_of_connections_like_shopify(sandbox) -> None:
    three = ("{ orders { edges { node { id fulfillmentOrders { edges { node { __typename id "
             "lineItems { edges { node { __typename id } } } } } } } } } }")
    error = (await sandbox.gql(RUN, {"q": three}))["data"]["bulkOperationRunQuery"]["userErrors"][0]
    assert error["code"] == "INVALID" and "2 levels" in error["message"]


async def test_bulk_over_the_fulfillment_orders_root_honours_include_closed(sandbox) -> None:
    query = ("{ fulfillmentOrders(includeClosed: %s) { edges { node { __typename id orderId status "
             "lineItems { edges { node { __typename id } } } } } } }")
    every = [fo for i in range(60) for fo in sandbox.store.order(i)["fulfillmentOrders"]]
    for include_closed, expected in (("true", every), ("false", [fo for fo in every if fo["status"] != "CLOSED"])):
        node = await _run_bulk(sandbox, query % include_closed)
        text = (await sandbox.client.get(node["url"].replace("http://sandbox.test", ""))).text
        roots = [line for line in map(json.loads, text.splitlines()) if "__parentId" not in line]
        assert [root["id"] for root in roots] == [fo["id"] for fo in expected]
        assert node["rootObjectCount"] == str(len(expected))
    assert any(fo["status"] == "CLOSED" for fo in every) and any(fo["status"] != "CLOSED" for fo in every)


class Receiver:
    """A webhook endpoint that fails the first `failures` deliveries, then records everything."""

    def __init__(self, failures: int = 0) -> None:
        self.failures, self.calls, self.received = failures, 0, []

    async def endpoint(self, request):
        self.calls += 1
        if self.calls <= self.failures:
            return Response(status_code=500)
        self.received.append((dict(request.headers), await request.body()))
        return Response("ok")

    def app(self):
        return Starlette(routes=[Route("/hooks", self.endpoint, methods=["POST"])])


async def _deliveries(options: WebhookOptions, receiver: Receiver, touch: int):
    store = generate_store(seed=8, orders=40)
    transport = httpx.ASGITransport(app=receiver.app())
    box, context = await open_sandbox(store, webhook_options=options, webhook_transport=transport,
                                      webhook_url="http://receiver.test/hooks")
    try:
        response = await box.client.post("/sandbox/orders/touch", json={"count": touch, "seed": 1},
                                         headers={"X-Shopify-Access-Token": "shpat_sandbox_full_access"})
        assert response.status_code == 200
        assert await box.services.webhooks.flush(30)
        return store, response.json()["orders"]
    finally:
        await box.client.aclose()
        await context.__aexit__(None, None, None)


async def test_webhooks_are_signed_and_retried() -> None:
    receiver = Receiver(failures=2)
    store, touched = await _deliveries(WebhookOptions(retry_base=0.01), receiver, touch=3)
    assert len(receiver.received) == 3 and receiver.calls == 5
    for headers, body in receiver.received:
        assert headers["x-shopify-hmac-sha256"] == sign(body, store.webhook_secret)
        assert headers["x-shopify-topic"] == "orders/updated"
        assert headers["x-shopify-shop-domain"] == store.profile.domain
        assert headers["x-shopify-api-version"] == "2026-10"
        payload = json.loads(body)
        assert payload["admin_graphql_api_id"] in {t["id"] for t in touched}
        assert payload["updated_at"] in {t["updatedAt"] for t in touched}
    assert sign(b"{}", "other") != sign(b"{}", store.webhook_secret)


async def test_duplicates_keep_the_event_id_and_shuffle_changes_the_order() -> None:
    receiver = Receiver()
    _, touched = await _deliveries(WebhookOptions(duplicate_rate=1.0, shuffle=True, shuffle_hold=0.05, seed=3),
                                   receiver, touch=20)
    events = [h["x-shopify-event-id"] for h, _ in receiver.received]
    assert len(events) == 40 and len(set(events)) == 20 and all(events.count(e) == 2 for e in set(events))
    assert len({h["x-shopify-webhook-id"] for h, _ in receiver.received}) == 40
    order_ids = [json.loads(b)["admin_graphql_api_id"] for _, b in receiver.received]
    first_seen = list(dict.fromkeys(order_ids))
    assert sorted(first_seen) == sorted(t["id"] for t in touched) and first_seen != [t["id"] for t in touched]


async def test_emit_helper_replays_events_for_existing_orders() -> None:
    receiver = Receiver()
    store = generate_store(seed=8, orders=40)
    box, context = await open_sandbox(store, webhook_transport=httpx.ASGITransport(app=receiver.app()),
                                      webhook_url="http://receiver.test/hooks")
    try:
        headers = {"X-Shopify-Access-Token": "shpat_sandbox_full_access"}
        response = await box.client.post("/sandbox/webhooks/emit", json={"topic": "orders/create", "count": 12},
                                         headers=headers)
        assert response.json() == {"emitted": 12}
        bad = await box.client.post("/sandbox/webhooks/emit", json={"topic": "shop/update", "count": 1},
                                    headers=headers)
        assert bad.status_code == 400 and "topic must be one of" in bad.json()["errors"]
        assert (await box.client.post("/sandbox/webhooks/emit", json={"topic": "orders/create"})).status_code == 401
        assert await box.services.webhooks.flush(30)
    finally:
        await box.client.aclose()
        await context.__aexit__(None, None, None)
    bodies = [json.loads(body) for _, body in receiver.received]
    assert len(bodies) == 12 and all(h["x-shopify-topic"] == "orders/create" for h, _ in receiver.received)
    assert all(body["line_items"] and body["total_price"] for body in bodies)


async def test_bulk_finish_webhook_is_delivered() -> None:
    receiver = Receiver()
    store = generate_store(seed=8, orders=30)
    box, context = await open_sandbox(store, webhook_transport=httpx.ASGITransport(app=receiver.app()),
                                      webhook_url="http://receiver.test/hooks")
    try:
        node = await _run_bulk(box, "{ orders { edges { node { id } } } }")
        assert await box.services.webhooks.flush(30)
    finally:
        await box.client.aclose()
        await context.__aexit__(None, None, None)
    finished = [json.loads(b) for h, b in receiver.received if h["x-shopify-topic"] == "bulk_operations/finish"]
    assert finished == [{"admin_graphql_api_id": node["id"], "completed_at": finished[0]["completed_at"],
                         "created_at": finished[0]["created_at"], "error_code": None, "status": "completed",
                         "type": "query"}]
