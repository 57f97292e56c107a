"""Documents are validated against Shopify's schema with Shopify's error shapes; tokens and versions are checked."""

from __future__ import annotations

from tests.shopify.sandbox.conftest import URL


async def test_unknown_field_is_rejected_with_shopifys_shape(sandbox) -> None:
    body = await sandbox.gql("{ shop { name bogusField } }")
    assert "data" not in body
    assert body["errors"] == [{"message": "Field 'bogusField' doesn't exist on type 'Shop'",
                               "locations": [{"line": 1, "column": 15}],
                               "extensions": {"code": "undefinedField", "t": "Shop", "f": "bogusField"}}]


async def test_unknown_argument_and_syntax_error(sandbox) -> None:
    body = await sandbox.gql("{ orders(first: 1, colour: RED) { nodes { id } } }")
    assert body["errors"][0]["message"] == "Field 'orders' doesn't accept argument 'colour'"
    assert body["errors"][0]["extensions"]["code"] == "argumentNotAccepted"
    body = await sandbox.gql("{ shop { name }")
    assert body["errors"][0]["extensions"]["code"] == "parseError"
    assert body["errors"][0]["locations"] == [{"line": 1, "column": 16}]


async def test_valid_field_the_sandbox_does_not_hold_is_a_named_error_not_null(sandbox) -> None:
    body = await sandbox.gql("{ order(id: \"gid://shopify/Order/5100000000000\") { id clientIp } }")
    error = body["errors"][0]
    assert error["extensions"]["code"] == "NOT_IMPLEMENTED_IN_SANDBOX"
    assert error["extensions"]["fieldName"] == "clientIp" and error["path"] == ["order", "clientIp"]
    assert "clientIp" in error["message"]


async def test_missing_or_wrong_token_is_401_with_shopifys_body(sandbox) -> None:
    for headers in ({}, {"X-Shopify-Access-Token": "shpat_wrong"}):
        response = await sandbox.client.post(URL, json={"query": "{ shop { name } }"}, headers=headers)
        assert response.status_code == 401
        assert response.json() == {"errors": "[API] Invalid API key or access token (unrecognized login or wrong "
                                             "password)"}


async def test_versions_fall_forward_and_unknown_versions_are_404(sandbox) -> None:
    headers = {"X-Shopify-Access-Token": "shpat_sandbox_full_access"}
    old = await sandbox.client.post("/admin/api/2024-10/graphql.json", json={"query": "{ shop { name } }"},
                                    headers=headers)
    assert old.status_code == 200 and old.headers["X-Shopify-API-Version"] == "2026-01"
    future = await sandbox.client.post("/admin/api/2031-01/graphql.json", json={"query": "{ shop { name } }"},
                                       headers=headers)
    assert future.status_code == 404
    bad = await sandbox.client.post(URL, content=b"not json", headers=headers)
    assert bad.status_code == 400


async def test_healthz_says_sandbox(sandbox) -> None:
    body = (await sandbox.client.get("/healthz")).json()
    assert body["sandbox"] is True and "SANDBOX" in body["notice"] and body["orders"] == 60


def test_runs_on_a_real_loopback_port() -> None:
    import httpx

    from app.shopify.sandbox import generate_store
    from app.shopify.sandbox.app import create_sandbox_app
    from app.shopify.sandbox.runner import SandboxServer

    with SandboxServer(create_sandbox_app(generate_store(seed=2, orders=5))) as server:
        assert server.url.startswith("http://127.0.0.1:")
        health = httpx.get(server.url + "/healthz", timeout=10).json()
        assert health["orders"] == 5 and health["sandbox"] is True
        body = httpx.post(server.url + URL, json={"query": "{ orders(first: 10) { nodes { id } } }"},
                          headers={"X-Shopify-Access-Token": "shpat_sandbox_full_access"}, timeout=30).json()
        assert len(body["data"]["orders"]["nodes"]) == 5
