"""`taxQuote` / `nexusStatus` serve exactly what the tax_rules contract computes."""

from __future__ import annotations

import tax_rules
from tests.api.conftest import make_key, make_shop

QUOTE = """
query Quote($input: TaxQuoteInput!) {
  taxQuote(input: $input) {
    rulesVersion currency jurisdiction scheme taxableTotal taxTotal explanation warnings
    lines { id category scheme rate taxableAmount taxAmount components { level name rate taxAmount } }
    shipping { taxable rate taxAmount }
    customs { intrinsicValueEur lowValueRegime duty dutyItems importTax }
  }
}"""

REQUEST = {
    "date": "2026-03-01", "currency": "EUR", "pricesIncludeTax": True,
    "shipFrom": {"country": "CN", "region": "GD", "postalCode": "518000"},
    "shipTo": {"country": "DE", "postalCode": "10115", "city": "Berlin"},
    "customer": {"type": "B2C"},
    "seller": {"established": "CN", "registrations": [{"scheme": "IOSS", "number": "IM2760000013"}]},
    "lines": [{"id": "1", "hsCode": "610910", "unitPrice": "50.00", "quantity": 1, "unitCost": "12.00"}],
    "shipping": {"amount": "0.00", "separatelyStated": True},
}
SNAKE_REQUEST = {
    "date": "2026-03-01", "currency": "EUR", "prices_include_tax": True,
    "ship_from": {"country": "CN", "region": "GD", "postal_code": "518000"},
    "ship_to": {"country": "DE", "postal_code": "10115", "city": "Berlin"},
    "customer": {"type": "B2C"},
    "seller": {"established": "CN", "registrations": [{"scheme": "IOSS", "number": "IM2760000013"}]},
    "lines": [{"id": "1", "hs_code": "610910", "unit_price": "50.00", "quantity": 1, "unit_cost": "12.00"}],
    "shipping": {"amount": "0.00", "separately_stated": True},
}


def _key(api) -> str:  # type: ignore[no-untyped-def]
    secret = api.settings.secret_key.get_secret_value()

    async def setup(database):  # type: ignore[no-untyped-def]
        await make_shop(database, "gamma.myshopify.com", key=secret, currency="EUR")
        return await make_key(database, "accountant", ["gamma.myshopify.com"])

    return api.run(setup)


def test_tax_quote_matches_the_engine(api) -> None:  # type: ignore[no-untyped-def]
    body = api.graphql(QUOTE, _key(api), {"input": REQUEST}).json()
    assert "errors" not in body, body
    quote = body["data"]["taxQuote"]
    engine = tax_rules.quote_from_json(SNAKE_REQUEST)
    assert (quote["scheme"], quote["jurisdiction"], quote["taxTotal"], quote["taxableTotal"]) == \
        ("IOSS", "DE", "7.98", "42.02")
    assert quote["taxTotal"] == engine["tax_total"]
    assert quote["lines"][0]["components"] == [{"level": "country", "name": "DE VAT", "rate": "19",
                                                 "taxAmount": "7.98"}]
    assert quote["customs"]["lowValueRegime"] == "IOSS"
    assert quote["explanation"] == engine["explanation"]


def test_bad_tax_input_names_the_field(api) -> None:  # type: ignore[no-untyped-def]
    bad = {**REQUEST, "lines": [{**REQUEST["lines"][0], "hsCode": "61x"}]}
    body = api.graphql(QUOTE, _key(api), {"input": bad}).json()
    error = body["errors"][0]
    assert error["extensions"]["field"] == "lines[0].hsCode"
    assert error["extensions"]["code"] == tax_rules_error_code(bad)


def tax_rules_error_code(camel_request: dict) -> str:  # type: ignore[type-arg]
    from tax_rules.errors import TaxInputError

    snake = {**SNAKE_REQUEST, "lines": [{**SNAKE_REQUEST["lines"][0], "hs_code": camel_request["lines"][0]["hsCode"]}]}
    try:
        tax_rules.quote_from_json(snake)
    except TaxInputError as exc:
        return exc.code
    raise AssertionError("the engine accepted a malformed HS code")


def test_nexus_status(api) -> None:  # type: ignore[no-untyped-def]
    query = """query N($input: NexusInput!) { nexusStatus(input: $input) {
        region hasNexus threshold { sales transactions test period } explanation } }"""
    variables = {"input": {"date": "2026-01-15", "region": "US-IL", "history": [
        {"periodStart": "2025-01-01", "periodEnd": "2025-12-31", "sales": "60000.00", "transactions": 250}]}}
    body = api.graphql(query, _key(api), variables).json()
    assert "errors" not in body, body
    status = body["data"]["nexusStatus"]
    engine = tax_rules.nexus_from_json({"date": "2026-01-15", "region": "US-IL", "history": [
        {"period_start": "2025-01-01", "period_end": "2025-12-31", "sales": "60000.00", "transactions": 250}]})
    assert status["hasNexus"] is engine["has_nexus"] is False
    assert status["threshold"]["test"] == engine["threshold"]["test"]
    assert status["explanation"] == engine["explanation"]
