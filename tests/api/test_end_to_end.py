"""The whole path a user takes, over real sockets: a sandbox store on a loopback port, the real app with its
in-process worker, `backfillShop` and `syncShop` through GraphQL, then the orders through GraphQL."""

from __future__ import annotations

import time

from app.shopify.sandbox import create_sandbox_app, generate_store
from app.shopify.sandbox.runner import SandboxServer
from tests.api.conftest import make_key, make_shop

ORDERS = 30
COUNT = 'query($shop: String!) { orders(shop: $shop, first: 1) { totalCount } }'


def _wait(api, key: str, ids: list[str], timeout: float = 90.0) -> list[dict]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        jobs = api.graphql("query($ids: [ID!]!) { jobs(ids: $ids) { status lastError } }", key,
                           {"ids": ids}).json()["data"]["jobs"]
        if all(j["status"] != "pending" for j in jobs) or time.monotonic() > deadline:
            return jobs
        time.sleep(0.2)


def _start(api, key: str, mutation: str) -> list[str]:  # type: ignore[no-untyped-def]
    payload = api.graphql(f'mutation {{ {mutation}(shop: "e2e.myshopify.com") {{ jobs {{ id }} errors {{ code }} }} }}',
                          key).json()["data"][mutation]
    assert payload["errors"] == []
    return [j["id"] for j in payload["jobs"]]


def test_backfill_then_sync_through_the_api(api) -> None:  # type: ignore[no-untyped-def]
    store = generate_store(seed=5, orders=ORDERS, shop_domain="e2e.myshopify.com", plan="plus")
    token = next(iter(store.tokens))
    with SandboxServer(create_sandbox_app(store)) as sandbox:
        secret = api.settings.secret_key.get_secret_value()

        async def setup(database):  # type: ignore[no-untyped-def]
            await make_shop(database, "e2e.myshopify.com", key=secret, api_url=sandbox.url, access_token=token,
                            tax_profile={"established": "DE", "digital_auto_fulfill": False})
            return await make_key(database, "finance", ["e2e.myshopify.com"])

        key = api.run(setup)
        assert [j["status"] for j in _wait(api, key, _start(api, key, "backfillShop"))] == ["done"]
        # the backfill continues in follow-up jobs (bulk operation, ingest slices): wait for the orders to land
        deadline = time.monotonic() + 90
        while api.graphql(COUNT, key, {"shop": "e2e.myshopify.com"}).json()["data"]["orders"]["totalCount"] < ORDERS:
            assert time.monotonic() < deadline, "the backfill did not store every order"
            time.sleep(0.3)
        assert [j["status"] for j in _wait(api, key, _start(api, key, "syncShop"))] == ["done"]
        health = api.graphql('{ bindingHealth(shop: "e2e.myshopify.com") { ok needsReauth checks { name ok why fix } } }',
                             key).json()["data"]["bindingHealth"]
    total = api.graphql(COUNT, key, {"shop": "e2e.myshopify.com"}).json()["data"]["orders"]["totalCount"]
    assert total == ORDERS
    checks = {c["name"]: c for c in health["checks"]}
    assert {"token", "api_version", "shop_domain", "read_scopes", "write_scopes", "webhooks"} <= set(checks)
    assert all(checks[name]["ok"] for name in ("token", "shop_domain", "read_scopes", "write_scopes", "webhooks"))
    assert health["needsReauth"] is False


def test_binding_health_flags_a_revoked_token(api) -> None:  # type: ignore[no-untyped-def]
    store = generate_store(seed=6, orders=3, shop_domain="e2e.myshopify.com", plan="plus")
    with SandboxServer(create_sandbox_app(store)) as sandbox:
        secret = api.settings.secret_key.get_secret_value()

        async def setup(database):  # type: ignore[no-untyped-def]
            await make_shop(database, "e2e.myshopify.com", key=secret, api_url=sandbox.url,
                            access_token="shpat_revoked_long_ago")
            return await make_key(database, "admin", ["e2e.myshopify.com"])

        key = api.run(setup)
        health = api.graphql('{ bindingHealth(shop: "e2e.myshopify.com") { ok needsReauth checks { name ok fix } } }',
                             key).json()["data"]["bindingHealth"]
    assert (health["ok"], health["needsReauth"]) == (False, True)
    assert health["checks"][0]["name"] == "token" and "set-credentials" in health["checks"][0]["fix"]
    shops = api.graphql("{ shops { domain needsReauth reauthReason } }", key).json()["data"]["shops"]
    assert shops[0]["needsReauth"] is True and "401" in shops[0]["reauthReason"]
