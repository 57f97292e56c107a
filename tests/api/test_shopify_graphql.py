"""syncShop / backfillShop start durable jobs (JobPayload), jobs(ids) follows them within the caller's shops."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from app.main import create_app
from tests.api.conftest import Api, make_key, make_shop
from tests.conftest import make_settings

SYNC = 'mutation { syncShop(shop: "alpha.myshopify.com") { jobs { id name status } errors { code message field } } }'
JOBS = "query J($ids: [ID!]!) { jobs(ids: $ids) { id name status } }"


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    """No in-process worker: the jobs these mutations queue stay pending, which is what the tests look at."""
    settings = make_settings(database_url, embedded_worker=False)
    with TestClient(create_app(settings)) as client:
        yield Api(client, settings)


def _setup(api):  # type: ignore[no-untyped-def]
    secret = api.settings.secret_key.get_secret_value()

    async def setup(database):  # type: ignore[no-untyped-def]
        # A closed loopback port as the Admin API: nothing here may reach the network even if a job ran.
        await make_shop(database, "alpha.myshopify.com", key=secret, api_url="http://127.0.0.1:9",
                        access_token="shpat_test_token")
        await make_shop(database, "beta.myshopify.com", key=secret)
        return (await make_key(database, "finance", ["alpha.myshopify.com"]),
                await make_key(database, "finance", ["beta.myshopify.com"]),
                await make_key(database, "accountant", ["alpha.myshopify.com"]))

    return api.run(setup)


def test_sync_shop_queues_one_job_and_dedupes(api) -> None:  # type: ignore[no-untyped-def]
    finance, other, _ = _setup(api)
    first = api.graphql(SYNC, finance).json()["data"]["syncShop"]
    assert first["errors"] == []
    assert [(j["name"], j["status"]) for j in first["jobs"]] == [("shopify.sync_shop", "pending")]
    second = api.graphql(SYNC, finance).json()["data"]["syncShop"]
    ids = [first["jobs"][0]["id"], second["jobs"][0]["id"]]
    seen = api.graphql(JOBS, finance, {"ids": ids}).json()["data"]["jobs"]
    assert [j["name"] for j in seen] == ["shopify.sync_shop", "shopify.sync_shop"]
    hidden = api.graphql(JOBS, other, {"ids": ids}).json()["data"]["jobs"]
    assert [(j["id"], j["status"], j["name"]) for j in hidden] == [(i, "missing", None) for i in ids]


def test_sync_shop_errors_are_typed(api) -> None:  # type: ignore[no-untyped-def]
    _, other, accountant = _setup(api)
    payload = api.graphql(SYNC, other).json()["data"]["syncShop"]
    assert payload["jobs"] == []
    assert payload["errors"] == [{"code": "SHOP_NOT_FOUND", "field": "shop",
                                  "message": "no shop 'alpha.myshopify.com' is visible to this API key"}]
    forbidden = api.graphql(SYNC, accountant).json()
    assert forbidden["data"] is None
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_bad_job_ids(api) -> None:  # type: ignore[no-untyped-def]
    finance, _, _ = _setup(api)
    body = api.graphql(JOBS, finance, {"ids": ["not-a-uuid"]}).json()
    assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "ids"}
