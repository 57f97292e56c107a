"""US product rules: clothing (PA, NJ, MN, VT exempt; NY under $110; MA first $175; RI first $250; CT luxury rate),
grocery rates with dates on both sides of each change, prescriptions, gift cards and digital products."""

from __future__ import annotations

from typing import Any

import pytest

from tax_rules import quote_from_json

from .test_us_quote import us_request


def line_tax(state: str, category: str, price: str, *, date: str = "2026-03-01", quantity: int = 1,
             hs_code: str | None = None, attributes: dict[str, Any] | None = None,
             discount: str = "0") -> tuple[str, str, str]:
    line: dict[str, Any] = {"category": category, "unit_price": price, "quantity": quantity, "discount": discount,
                            "attributes": attributes or {}}
    if hs_code:
        line["hs_code"] = hs_code
    result = quote_from_json(us_request(state, [line], date=date))
    out = result["lines"][0]
    return out["scheme"], out["rate"], out["tax_amount"]


@pytest.mark.parametrize("state", ["PA", "NJ", "MN", "VT"])
def test_clothing_exempt_states(state: str) -> None:
    assert line_tax(state, "clothing", "80.00") == ("EXEMPT", "0", "0.00")


@pytest.mark.parametrize("state", ["PA", "NJ", "MN", "VT"])
def test_childrens_clothing_follows_the_clothing_rule(state: str) -> None:
    assert line_tax(state, "childrens_clothing", "25.00") == ("EXEMPT", "0", "0.00")


@pytest.mark.parametrize(("state", "attribute", "tax"), [
    ("PA", "fur", "30.00"), ("PA", "formal_wear", "30.00"), ("NJ", "fur", "33.13"), ("MN", "fur", "34.38")])
def test_fur_and_formal_wear_stay_taxable(state: str, attribute: str, tax: str) -> None:
    assert line_tax(state, "clothing", "500.00", attributes={attribute: True})[2] == tax


@pytest.mark.parametrize(("price", "expected"), [
    ("109.99", ("EXEMPT", "0", "0.00")), ("110.00", ("US_SALES_TAX", "4", "4.40"))])
def test_ny_clothing_under_110_per_item(price: str, expected: tuple[str, str, str]) -> None:
    assert line_tax("NY", "clothing", price) == expected


def test_ny_threshold_is_per_item_after_discount() -> None:
    # 2 x 120.00 less 30.00 discount = 105.00 per item: under $110
    assert line_tax("NY", "clothing", "120.00", quantity=2, discount="30.00") == ("EXEMPT", "0", "0.00")
    assert line_tax("NY", "clothing", "120.00", quantity=2) == ("US_SALES_TAX", "4", "9.60")


@pytest.mark.parametrize(("price", "quantity", "tax"), [
    ("175.00", 1, "0.00"), ("200.00", 1, "1.56"), ("200.00", 2, "3.13"), ("50.00", 3, "0.00")])
def test_ma_taxes_only_the_excess_over_175_per_item(price: str, quantity: int, tax: str) -> None:
    assert line_tax("MA", "clothing", price, quantity=quantity)[2] == tax


@pytest.mark.parametrize(("price", "tax"), [("250.00", "0.00"), ("300.00", "3.50")])
def test_ri_taxes_only_the_excess_over_250_per_item(price: str, tax: str) -> None:
    assert line_tax("RI", "clothing", price)[2] == tax


@pytest.mark.parametrize(("price", "rate", "tax"), [("1000.00", "6.35", "63.50"), ("1000.01", "7.75", "77.50")])
def test_ct_luxury_rate_above_1000(price: str, rate: str, tax: str) -> None:
    assert line_tax("CT", "clothing", price)[1:] == (rate, tax)


def test_clothing_taxable_elsewhere() -> None:
    assert line_tax("TX", "clothing", "80.00") == ("US_SALES_TAX", "6.25", "5.00")


@pytest.mark.parametrize(("state", "date", "expected"), [
    ("MS", "2025-06-30", ("US_SALES_TAX", "7", "7.00")), ("MS", "2025-07-01", ("US_SALES_TAX", "5", "5.00")),
    ("IL", "2022-06-30", ("US_SALES_TAX", "1", "1.00")), ("IL", "2022-07-01", ("EXEMPT", "0", "0.00")),
    ("IL", "2023-07-01", ("US_SALES_TAX", "1", "1.00")), ("IL", "2025-12-31", ("US_SALES_TAX", "1", "1.00")),
    ("IL", "2026-01-01", ("EXEMPT", "0", "0.00")),
    ("AR", "2025-12-31", ("US_SALES_TAX", "0.125", "0.13")), ("AR", "2026-01-01", ("EXEMPT", "0", "0.00")),
    ("AL", "2023-08-31", ("US_SALES_TAX", "4", "4.00")), ("AL", "2023-09-01", ("US_SALES_TAX", "3", "3.00")),
    ("AL", "2025-08-31", ("US_SALES_TAX", "3", "3.00")), ("AL", "2025-09-01", ("US_SALES_TAX", "2", "2.00")),
    ("KS", "2022-12-31", ("US_SALES_TAX", "6.5", "6.50")), ("KS", "2023-01-01", ("US_SALES_TAX", "4", "4.00")),
    ("KS", "2024-01-01", ("US_SALES_TAX", "2", "2.00")), ("KS", "2025-01-01", ("EXEMPT", "0", "0.00")),
    ("OK", "2024-08-28", ("US_SALES_TAX", "4.5", "4.50")), ("OK", "2024-08-29", ("EXEMPT", "0", "0.00")),
    ("VA", "2022-12-31", ("US_SALES_TAX", "1.5", "1.50")), ("VA", "2023-01-01", ("EXEMPT", "0", "0.00")),
    ("TN", "2026-03-01", ("US_SALES_TAX", "4", "4.00")), ("MO", "2026-03-01", ("US_SALES_TAX", "1.225", "1.23")),
    ("UT", "2026-03-01", ("US_SALES_TAX", "1.75", "1.75")), ("ID", "2026-03-01", ("US_SALES_TAX", "6", "6.00")),
    ("SD", "2026-03-01", ("US_SALES_TAX", "4.2", "4.20")), ("CA", "2026-03-01", ("EXEMPT", "0", "0.00")),
])
def test_grocery_rates(state: str, date: str, expected: tuple[str, str, str]) -> None:
    assert line_tax(state, "food", "100.00", date=date, hs_code="090121") == expected


def test_confectionery_is_not_grocery_food() -> None:
    assert line_tax("CA", "general", "100.00", hs_code="170490")[2] == "7.25"


@pytest.mark.parametrize(("state", "expected"), [("TX", ("EXEMPT", "0", "0.00")), ("IL", ("US_SALES_TAX", "1", "1.00"))])
def test_prescription_medicines(state: str, expected: tuple[str, str, str]) -> None:
    assert line_tax(state, "medical", "100.00", hs_code="300490", attributes={"prescription": True}) == expected


def test_non_prescription_medicines_are_taxable() -> None:
    assert line_tax("TX", "medical", "100.00", hs_code="300490")[2] == "6.25"


def test_gift_cards_are_not_taxed_at_sale() -> None:
    assert line_tax("NY", "gift_card", "50.00") == ("EXEMPT", "0", "0.00")


@pytest.mark.parametrize(("state", "date", "tax"), [
    ("LA", "2024-12-31", "0.00"), ("LA", "2025-01-01", "5.00"), ("CA", "2026-03-01", "0.00"), ("WA", "2026-03-01", "6.50")])
def test_digital_products(state: str, date: str, tax: str) -> None:
    assert line_tax(state, "digital", "100.00", date=date)[2] == tax


def test_digital_warns_where_not_encoded() -> None:
    result = quote_from_json(us_request("WA", [{"category": "digital", "unit_price": "10.00"}]))
    assert any("digital products in WA is not encoded" in w for w in result["warnings"])


def test_tax_inclusive_us_price_is_split_exactly() -> None:
    result = quote_from_json(us_request("TX", [{"category": "general", "unit_price": "106.25"}], inclusive=True))
    line = result["lines"][0]
    assert (line["taxable_amount"], line["tax_amount"]) == ("100.00", "6.25")


def test_per_item_thresholds_are_in_usd_for_other_currencies() -> None:
    # EUR 100 at 1.20 USD per EUR = USD 120 per item: above NY's $110, taxable
    body = us_request("NY", [{"category": "clothing", "unit_price": "100.00"}])
    body["currency"], body["exchange_rates"] = "EUR", {"USD": "1.20"}
    assert quote_from_json(body)["lines"][0]["tax_amount"] == "4.00"
    # MA: EUR 200 = USD 240; the first USD 175 (= EUR 145.83...) is exempt, so EUR 54.17 is taxed at 6.25 %
    body = us_request("MA", [{"category": "clothing", "unit_price": "200.00"}])
    body["currency"], body["exchange_rates"] = "EUR", {"USD": "1.20"}
    assert quote_from_json(body)["lines"][0]["tax_amount"] == "3.39"


def test_per_item_threshold_with_the_stated_rate_warns() -> None:
    body = us_request("NY", [{"category": "clothing", "unit_price": "100.00"}])
    body["currency"] = "EUR"
    result = quote_from_json(body)
    assert any("per-item USD thresholds were tested with a stated indicative rate" in w for w in result["warnings"])
