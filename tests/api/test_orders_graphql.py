"""`orders` / `order`: canonical records through the API, with tenancy, Money, keyset paging and limits."""

from __future__ import annotations

import json
from pathlib import Path

from app.commerce.service import upsert_order
from app.shopify.mapping import order_from_webhook, parse_body
from tests.api.conftest import make_key, make_shop
from tests.conftest import make_settings

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "shopify" / \
    "SYNTHETIC-eu-de-vat-taxes-included-with-digital-line.json"

ORDERS = """query O($shop: String!, $first: Int, $after: String) {
  orders(shop: $shop, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { shopifyId name currency taxesIncluded
      totalPrice { amount currency minorUnits de: formatted(locale: "de_DE") }
      totalTax { amount }
      lineItems { title requiresShipping unitPrice { amount } taxLines { title rate amount { amount } } }
      shippingLines { title taxLines { amount { amount } } }
      taxLines { title amount { amount } } } } } }"""


def _payload(number: int) -> dict:  # type: ignore[type-arg]
    body = parse_body(FIXTURE.read_bytes())
    order = body.get("order", body)
    order = json.loads(json.dumps(order, default=str))
    order["id"] = 450789469000 + number
    order["admin_graphql_api_id"] = f"gid://shopify/Order/{450789469000 + number}"
    order["name"] = f"#{1000 + number}"
    return order


def _setup(api, orders: int = 3):  # type: ignore[no-untyped-def]
    secret = api.settings.secret_key.get_secret_value()

    async def setup(database):  # type: ignore[no-untyped-def]
        shop = await make_shop(database, "eu-shop.myshopify.com", key=secret, currency="EUR")
        await make_shop(database, "other.myshopify.com", key=secret, currency="USD")
        async with database.unit_of_work() as session:
            for n in range(orders):
                await upsert_order(session, shop.id, order_from_webhook(_payload(n)))
        return (await make_key(database, "finance", ["eu-shop.myshopify.com"]),
                await make_key(database, "finance", ["other.myshopify.com"]))

    return api.run(setup)


def test_orders_with_money_lines_and_taxes(api) -> None:  # type: ignore[no-untyped-def]
    key, _ = _setup(api, orders=1)
    body = api.graphql(ORDERS, key, {"shop": "eu-shop.myshopify.com", "first": 10}).json()
    assert "errors" not in body, body
    node = body["data"]["orders"]["edges"][0]["node"]
    assert (node["shopifyId"], node["currency"], node["taxesIncluded"]) == ("gid://shopify/Order/450789469000",
                                                                          "EUR", True)
    assert node["totalPrice"] == {"amount": "136.85", "currency": "EUR", "minorUnits": 13685, "de": "136,85\xa0€"}
    assert node["totalTax"] == {"amount": "21.85"}
    assert sum(1 for line in node["lineItems"] if line["requiresShipping"] is False) == 1
    line_taxes = sorted(t["amount"]["amount"] for line in node["lineItems"] for t in line["taxLines"])
    shipping_taxes = [t["amount"]["amount"] for s in node["shippingLines"] for t in s["taxLines"]]
    assert line_taxes == ["1.90", "19.00"]
    assert shipping_taxes == ["0.95"]
    assert [t["amount"]["amount"] for t in node["taxLines"]] == ["21.85"]


def test_keyset_paging_visits_every_order_once(api) -> None:  # type: ignore[no-untyped-def]
    key, _ = _setup(api, orders=5)
    seen, after = [], None
    while True:
        page = api.graphql(ORDERS, key, {"shop": "eu-shop.myshopify.com", "first": 2, "after": after}).json()
        orders = page["data"]["orders"]
        assert orders["totalCount"] == 5
        seen += [e["node"]["name"] for e in orders["edges"]]
        if not orders["pageInfo"]["hasNextPage"]:
            break
        after = orders["pageInfo"]["endCursor"]
    assert sorted(seen) == [f"#{1000 + n}" for n in range(5)]
    assert len(seen) == 5


def test_another_tenant_sees_nothing(api) -> None:  # type: ignore[no-untyped-def]
    _, other_key = _setup(api, orders=1)
    body = api.graphql(ORDERS, other_key, {"shop": "eu-shop.myshopify.com"}).json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "SHOP_NOT_FOUND", "field": "shop"}
    one = api.graphql('{ order(id: "gid://shopify/Order/450789469000") { name } }', other_key).json()
    assert one == {"data": {"order": None}}


def test_bad_cursor_and_page_size(api) -> None:  # type: ignore[no-untyped-def]
    key, _ = _setup(api, orders=1)
    bad = api.graphql(ORDERS, key, {"shop": "eu-shop.myshopify.com", "after": "garbage"}).json()
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"
    big = api.graphql(ORDERS, key, {"shop": "eu-shop.myshopify.com", "first": 100000}).json()
    assert big["errors"][0]["extensions"]["code"] == "INVALID_PAGE_SIZE"


def test_depth_limit(database_url: str) -> None:
    from starlette.testclient import TestClient

    from app.main import create_app
    from tests.api.conftest import Api

    settings = make_settings(database_url, graphql_max_depth=4)
    with TestClient(create_app(settings)) as client:
        api = Api(client, settings)
        key, _ = _setup(api, orders=1)
        body = api.graphql(ORDERS, key, {"shop": "eu-shop.myshopify.com"}).json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "QUERY_LIMIT_EXCEEDED"
    assert "depth" in body["errors"][0]["message"]
