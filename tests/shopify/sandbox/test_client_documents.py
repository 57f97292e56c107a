"""Every document the client can send (app/shopify/queries/*.graphql) executes on the sandbox without errors."""

from __future__ import annotations

from pathlib import Path

import pytest

QUERIES = Path(__file__).resolve().parents[3] / "app" / "shopify" / "queries"


def _variables(sandbox, text: str) -> dict:
    store = sandbox.store
    order = next(store.order(i) for i in range(store.order_count) if store.order(i)["refunds"]
                 and store.order(i)["fulfillments"])
    values = {"first": 1, "after": None, "query": "updated_at:>='2026-01-01T00:00:00Z'", "id": order["id"],
              "lines": 5, "uri": "https://example.test/webhooks", "topic": "ORDERS_CREATE"}
    return {name: value for name, value in values.items() if f"${name}" in text}


def _mutation_variables(sandbox, path: str) -> dict:
    from tests.shopify.sandbox.test_mutations import _open_order
    store = sandbox.store
    order, fo = _open_order(store)
    (item, location), level = next(iter(store.inventory.levels.items()))
    fulfilled = next(store.order(i) for i in range(store.order_count) if store.order(i)["fulfillments"])
    line = order["lineItems"][0]
    by_name = {
        "bulk_operation_run_query": {"query": "{ orders { edges { node { id } } } }"},
        "fulfillment_create": {"fulfillment": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}],
                                               "trackingInfo": {"company": "DHL Express", "number": "JD0001"}}},
        "fulfillment_tracking_info_update": {"fulfillmentId": fulfilled["fulfillments"][0]["id"],
                                             "trackingInfoInput": {"company": "UPS", "number": "1Z42"}},
        "inventory_adjust_quantities": {"idempotencyKey": "k1", "input": {"name": "available", "reason": "correction",
            "changes": [{"inventoryItemId": item, "locationId": location, "delta": 1,
                         "changeFromQuantity": level["available"]}]}},
        "inventory_set_quantities": {"idempotencyKey": "k2", "input": {"name": "available", "reason": "correction",
            "quantities": [{"inventoryItemId": item, "locationId": location, "quantity": 7,
                            "changeFromQuantity": level["available"]}]}},
        "refund_create": {"idempotencyKey": "k3", "input": {"orderId": order["id"], "refundLineItems": [
            {"lineItemId": line["id"], "quantity": 1, "restockType": "CANCEL"}]}},
        "webhook_subscription_create": {"topic": "ORDERS_CREATE", "uri": "https://example.test/webhooks"},
    }
    return by_name[path.removesuffix(".graphql")]


@pytest.mark.parametrize("path", sorted(p.name for p in QUERIES.glob("*.graphql")))
async def test_document_executes(sandbox, path: str) -> None:
    text = (QUERIES / path).read_text()
    head = text.split("{", 1)[0]
    if "mutation" in head:
        body = await sandbox.gql(text, _mutation_variables(sandbox, path))
        assert "errors" not in body, (path, body.get("errors"))
        payload = next(iter(body["data"].values()))
        assert payload["userErrors"] == [], (path, payload)
        return
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    if path.startswith("bulk_") and "bulkOperation" not in code:   # a bulk query: run as Shopify runs it
        body = await sandbox.gql("mutation($q: String!) { bulkOperationRunQuery(query: $q, groupObjects: true) "
                                 "{ bulkOperation { id } userErrors { message } } }", {"q": text})
        assert body["data"]["bulkOperationRunQuery"]["userErrors"] == [], (path, body)
        return
    variables = _variables(sandbox, text)
    if "bulkOperation(id" in text:
        run = await sandbox.gql("mutation { bulkOperationRunQuery(query: \"{ orders { edges { node { id } } } }\", "
                                "groupObjects: false) { bulkOperation { id } } }")
        variables["id"] = run["data"]["bulkOperationRunQuery"]["bulkOperation"]["id"]
    body = await sandbox.gql(text, variables)
    assert "errors" not in body, (path, body.get("errors"))
    assert body["data"] and all(value is not None for value in body["data"].values()), path
