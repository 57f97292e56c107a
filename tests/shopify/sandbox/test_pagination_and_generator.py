"""Cursor pagination covers every order exactly once; the generator is deterministic and its amounts add up."""

from __future__ import annotations

import json
from decimal import Decimal

from app.shopify.sandbox import generate_store, rest
from app.shopify.sandbox.money import bag_amount, total
from app.shopify.sandbox.payouts import balance_transactions_for_day, payout, payout_days

PAGE = """query($after: String, $q: String, $sort: OrderSortKeys, $rev: Boolean) {
  orders(first: 7, after: $after, query: $q, sortKey: $sort, reverse: $rev) {
    pageInfo { hasNextPage endCursor } nodes { id updatedAt } } }"""


async def _all(sandbox, **variables) -> list[dict]:
    seen, after = [], None
    for _ in range(100):
        body = await sandbox.gql(PAGE, {**variables, "after": after})
        page = body["data"]["orders"]
        seen.extend(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("pagination did not end")


async def test_every_order_exactly_once_in_updated_at_order(sandbox) -> None:
    nodes = await _all(sandbox, sort="UPDATED_AT")
    ids = [n["id"] for n in nodes]
    assert len(ids) == 60 and len(set(ids)) == 60
    stamps = [n["updatedAt"] for n in nodes]
    assert stamps == sorted(stamps)
    backwards = await _all(sandbox, sort="UPDATED_AT", rev=True)
    assert [n["id"] for n in backwards] == list(reversed(ids))


async def test_updated_at_filter_and_changed_orders_move_to_the_end(sandbox) -> None:
    nodes = await _all(sandbox, sort="UPDATED_AT")
    cut = nodes[40]["updatedAt"]
    after_cut = await _all(sandbox, sort="UPDATED_AT", q=f"updated_at:>='{cut}'")
    assert [n["id"] for n in after_cut] == [n["id"] for n in nodes if n["updatedAt"] >= cut]
    changed = [sandbox.store.order(i)["id"] for i in (2, 9, 33)]
    for index in (2, 9, 33):
        sandbox.store.change_order(index, lambda order, at: order.update(note="touched"), ["orders/updated"])
    latest = max(n["updatedAt"] for n in nodes)
    fresh = await _all(sandbox, sort="UPDATED_AT", q=f"updated_at:>'{latest}'")
    assert [n["id"] for n in fresh] == changed
    everything = await _all(sandbox, sort="UPDATED_AT")
    assert len(everything) == 60 and [n["id"] for n in everything[-3:]] == changed


async def test_unknown_search_field_is_ignored_with_a_warning(sandbox) -> None:
    body = await sandbox.gql(PAGE, {"q": "colour:red"})
    assert len(body["data"]["orders"]["nodes"]) == 7
    search = body["extensions"]["search"][0]
    assert search["warnings"] == [{"field": "colour", "message": "Invalid search field for this query."}]


def _dump(order: dict) -> str:
    """The order as its webhook body (REST JSON): every line, tax, refund and fulfilment, plus its timeline."""
    return json.dumps(rest.order(order), sort_keys=True)


def test_generation_is_deterministic() -> None:
    a, b = generate_store(seed=9, orders=40), generate_store(seed=9, orders=40)
    assert [_dump(a.order(i)) for i in range(40)] == [_dump(b.order(i)) for i in range(40)]
    c = generate_store(seed=10, orders=40)
    assert [_dump(a.order(i)) for i in range(40)] != [_dump(c.order(i)) for i in range(40)]
    assert list(a.updated_ts) == list(b.updated_ts)


def _check_order(order: dict) -> None:
    lines, shipping = order["lineItems"], order["shippingLines"]
    subtotal = total(bag_amount(l["discountedTotalSet"]) for l in lines)
    for currency in ("presentment", "shop"):
        get = lambda amount: getattr(amount, currency)  # noqa: E731
        tax = sum((get(t["_amount"]) for x in lines + shipping for t in x["taxLines"]), Decimal("0"))
        ship = sum((get(bag_amount(s["originalPriceSet"])) for s in shipping), Decimal("0"))
        assert get(bag_amount(order["subtotalPriceSet"])) == get(subtotal)
        assert get(bag_amount(order["totalTaxSet"])) == tax
        assert sum((get(t["_amount"]) for t in order["taxLines"]), Decimal("0")) == tax
        expected = get(subtotal) + ship + (Decimal("0") if order["taxesIncluded"] else tax)
        assert get(bag_amount(order["totalPriceSet"])) == expected
        refunded = sum((get(t["_amount"]) for t in order["transactions"] if t["kind"] == "REFUND"), Decimal("0"))
        assert get(bag_amount(order["totalRefundedSet"])) == refunded
        for line in lines:
            original = get(bag_amount(line["originalUnitPriceSet"])) * line["quantity"]
            assert get(bag_amount(line["discountedTotalSet"])) == original - get(bag_amount(line["totalDiscountSet"]))
    for refund in order["refunds"]:
        for item in refund["refundLineItems"]:
            assert item["quantity"] <= item["lineItem"]["quantity"]
    if order["displayFinancialStatus"] == "REFUNDED":
        assert bag_amount(order["totalRefundedSet"]).presentment == bag_amount(order["totalReceivedSet"]).presentment
        assert bag_amount(order["currentTotalPriceSet"]).presentment == 0
    fulfilled = sum(f["quantity"] for fu in order["fulfillments"] for f in fu["fulfillmentLineItems"])
    remaining = sum(l["fulfillableQuantity"] for l in lines)
    if order["displayFulfillmentStatus"] == "FULFILLED":
        assert remaining == 0 and fulfilled > 0


def test_amounts_add_up_and_the_mix_is_realistic() -> None:
    for kind in ("eu", "us"):
        store = generate_store(seed=3, orders=400, kind=kind)
        orders = [store.order(i) for i in range(400)]
        for order in orders:
            _check_order(order)
        countries = {o["billingAddress"]["countryCodeV2"] for o in orders}
        assert {"DE", "FR", "GB", "US", "SG", "MY", "AU", "NZ"} <= countries
        assert {o["presentmentCurrencyCode"] for o in orders} >= {"EUR", "USD", "GBP", "AUD"}
        statuses = {o["displayFinancialStatus"] for o in orders}
        assert {"PAID", "PARTIALLY_REFUNDED", "REFUNDED"} <= statuses
        assert {"FULFILLED", "PARTIALLY_FULFILLED", "UNFULFILLED"} <= {o["displayFulfillmentStatus"] for o in orders}
        assert any(not l["requiresShipping"] for o in orders for l in o["lineItems"])
        assert any(o["returns"] for o in orders)
        assert any(l["variant"] and l["variant"]["inventoryItem"]["harmonizedSystemCode"]
                   for o in orders for l in o["lineItems"])
        restocks = {i["restockType"] for o in orders for r in o["refunds"] for i in r["refundLineItems"]}
        assert {"RETURN", "NO_RESTOCK"} <= restocks
        assert all(o["taxesIncluded"] is (kind == "eu") for o in orders)


def test_auto_fulfilment_setting_decides_what_is_fulfilled_on_payment() -> None:
    def auto_fulfilled(setting: str) -> list[tuple[dict, dict]]:
        store = generate_store(seed=4, orders=300, auto_fulfill=setting)
        result = []
        for i in range(300):
            order = store.order(i)
            paid = next(t["createdAt"] for t in order["transactions"])
            for fulfillment in order["fulfillments"]:
                if not fulfillment["trackingInfo"] and fulfillment["createdAt"][:13] == paid[:13]:
                    result.append((order, fulfillment))
        return result
    assert auto_fulfilled("NONE") == []
    gift = auto_fulfilled("GIFT_CARDS")
    assert gift and all(f["lineItem"]["isGiftCard"] for _, fu in gift for f in fu["fulfillmentLineItems"])
    everything = auto_fulfilled("ALL")
    assert len(everything) > len(gift)
    for order, fulfillment in everything:
        assert {f["lineItem"]["id"] for f in fulfillment["fulfillmentLineItems"]} == {l["id"] for l in order["lineItems"]}
        assert order["displayFulfillmentStatus"] == "FULFILLED"


def test_payouts_tie_to_balance_transactions() -> None:
    store = generate_store(seed=6, orders=300)
    days = payout_days(store)
    assert days
    for day in days[:10]:
        txns = balance_transactions_for_day(store, day)
        result = payout(store, day)
        assert result["net"]["amount"] == sum((t["net"]["amount"] for t in txns), Decimal("0"))
        summary = result["summary"]
        assert (summary["chargesGross"]["amount"] - summary["chargesFee"]["amount"]
                + summary["refundsFeeGross"]["amount"]) == result["net"]["amount"]
        assert all(t["associatedPayout"]["id"] == result["id"] for t in txns)


PAYOUTS = """query($after: String, $q: String) { shopifyPaymentsAccount {
  payouts(first: 3, after: $after, query: $q) { pageInfo { hasNextPage endCursor }
    nodes { id legacyResourceId status issuedAt net { amount currencyCode } summary { chargesGross { amount }
      chargesFee { amount } refundsFeeGross { amount } } } }
  balanceTransactions(first: 100) { pageInfo { hasNextPage endCursor }
    nodes { id type sourceType amount { amount } fee { amount } net { amount } associatedPayout { id }
      associatedOrder { id } sourceOrderTransactionId } } } }"""


async def test_payouts_and_balance_transactions_over_graphql(sandbox) -> None:
    body = await sandbox.gql(PAYOUTS)
    assert "errors" not in body, body.get("errors")
    account = body["data"]["shopifyPaymentsAccount"]
    payouts = account["payouts"]["nodes"]
    assert len(payouts) == 3 and account["payouts"]["pageInfo"]["hasNextPage"] is True
    txns = account["balanceTransactions"]["nodes"]
    for payout_node in payouts:
        mine = [t for t in txns if t["associatedPayout"]["id"] == payout_node["id"]]
        assert mine and sum(Decimal(t["net"]["amount"]) for t in mine) == Decimal(payout_node["net"]["amount"])
        assert all(Decimal(t["amount"]["amount"]) - Decimal(t["fee"]["amount"]) == Decimal(t["net"]["amount"])
                   for t in mine)
    third = int(payouts[2]["legacyResourceId"])
    later = await sandbox.gql(PAYOUTS, {"q": f"id:>={third}"})
    assert later["data"]["shopifyPaymentsAccount"]["payouts"]["nodes"][0]["id"] == payouts[2]["id"]
    following = await sandbox.gql(PAYOUTS, {"after": account["payouts"]["pageInfo"]["endCursor"]})
    assert following["data"]["shopifyPaymentsAccount"]["payouts"]["nodes"][0]["id"] not in {p["id"] for p in payouts}
    denied = await sandbox.gql("{ shopifyPaymentsAccount { id } }", token="shpat_sandbox_read_only")
    assert "errors" not in denied     # the read-only token holds read_shopify_payments_payouts


async def test_orders_count_limit_semantics(sandbox) -> None:
    assert (await sandbox.gql("{ ordersCount(limit: null) { count precision } }"))["data"]["ordersCount"] == {
        "count": 60, "precision": "EXACT"}
    assert (await sandbox.gql("{ ordersCount(limit: 10) { count precision } }"))["data"]["ordersCount"] == {
        "count": 10, "precision": "AT_LEAST"}
    paid = [sandbox.store.order(i) for i in range(60)]
    expected = sum(1 for o in paid if o["displayFinancialStatus"] == "PAID")
    body = await sandbox.gql('{ ordersCount(query: "financial_status:paid", limit: null) { count precision } }')
    assert body["data"]["ordersCount"] == {"count": expected, "precision": "EXACT"}
