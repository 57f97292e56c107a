"""AU and NZ quotes: LVG start dates, the A$1,000 / NZ$1,000 per-item limits on both sides, registration context,
GST-free categories, B2B, digital services and the AU-01 example."""

from __future__ import annotations

from typing import Any

import pytest

from tax_rules import quote_from_json

CURRENCY = {"AU": "AUD", "NZ": "NZD"}


def request(country: str, prices: list[str], *, date: str = "2026-03-01", registered: bool = True,
            shipping: str = "0", customer: str = "B2C", category: str = "general",
            attributes: dict[str, Any] | None = None, hs_code: str | None = "851830") -> dict[str, Any]:
    lines = []
    for i, price in enumerate(prices):
        line: dict[str, Any] = {"id": str(i + 1), "unit_price": price, "quantity": 1, "unit_cost": "50.00",
                                "category": category, "attributes": attributes or {}}
        if hs_code:
            line["hs_code"] = hs_code
        lines.append(line)
    return {
        "date": date, "currency": CURRENCY[country], "prices_include_tax": False,
        "ship_from": {"country": "CN", "region": "GD", "postal_code": "518000"},
        "ship_to": {"country": country, "region": None, "postal_code": "2000"},
        "customer": {"type": customer, "vat_id": None},
        "seller": {"established": "CN", "registrations": [{"scheme": f"{country}_GST"}] if registered else []},
        "lines": lines, "shipping": {"amount": shipping, "separately_stated": True},
    }


def schemes(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(line["scheme"], line["rate"], line["tax_amount"]) for line in result["lines"]]


def test_au_01_example_registered_seller_collects_gst() -> None:
    result = quote_from_json(request("AU", ["200.00"]))
    assert (result["jurisdiction"], result["scheme"], result["tax_total"]) == ("AU", "AU_LVG", "20.00")
    assert result["customs"]["low_value_regime"] == "AU_LVG"


@pytest.mark.parametrize(("country", "price", "expected", "import_tax"), [
    ("AU", "1000.00", ("AU_LVG", "10", "100.00"), "0.00"),
    ("AU", "1000.01", ("IMPORT_AT_BORDER", "10", "0.00"), "100.00"),
    ("NZ", "1000.00", ("NZ_LVG", "15", "150.00"), "0.00"),
    ("NZ", "1000.01", ("IMPORT_AT_BORDER", "15", "0.00"), "150.00"),
])
def test_low_value_limit_per_item(country: str, price: str, expected: tuple[str, ...], import_tax: str) -> None:
    result = quote_from_json(request(country, [price]))
    assert schemes(result) == [expected]
    assert result["customs"]["import_tax"] == import_tax


@pytest.mark.parametrize(("country", "date", "scheme"), [
    ("AU", "2018-06-30", "IMPORT_AT_BORDER"), ("AU", "2018-07-01", "AU_LVG"),
    ("NZ", "2019-11-30", "IMPORT_AT_BORDER"), ("NZ", "2019-12-01", "NZ_LVG"),
])
def test_lvg_regimes_start_on_their_dates(country: str, date: str, scheme: str) -> None:
    assert schemes(quote_from_json(request(country, ["100.00"], date=date)))[0][0] == scheme


def test_mixed_order_collects_on_low_value_items_only() -> None:
    result = quote_from_json(request("AU", ["200.00", "1500.00"], shipping="17.00"))
    assert schemes(result) == [("AU_LVG", "10", "20.00"), ("IMPORT_AT_BORDER", "10", "0.00")]
    assert result["scheme"] == "AU_LVG"
    # shipping 17.00 split 2.00 / 15.00 by value: only the collected line's share is taxed
    assert result["shipping"]["tax_amount"] == "0.20"
    assert result["tax_total"] == "20.20"
    # border estimate: 10 % x (1500.00 + 15.00 shipping share); consignment 1700 > A$1,000, no relief
    assert result["customs"]["import_tax"] == "151.50"


def test_unregistered_seller_ships_through_the_border_relief() -> None:
    result = quote_from_json(request("NZ", ["300.00"], registered=False))
    assert schemes(result) == [("IMPORT_AT_BORDER", "15", "0.00")]
    assert (result["customs"]["import_tax"], result["customs"]["low_value_regime"]) == ("0.00", "BORDER_RELIEF")
    assert any("NZ$60,000" in w for w in result["warnings"])


def test_unregistered_seller_above_the_border_relief_is_estimated() -> None:
    result = quote_from_json(request("AU", ["600.00", "600.00"], registered=False, shipping="20.00"))
    assert result["customs"]["import_tax"] == "122.00"  # 10 % x (1200 + 20)
    assert result["tax_total"] == "0.00"


def test_au_b2b_low_value_goods_are_not_charged_but_dearer_goods_still_pay_at_the_border() -> None:
    result = quote_from_json(request("AU", ["200.00", "1500.00"], customer="B2B"))
    assert schemes(result) == [("REVERSE_CHARGE", "0", "0.00"), ("IMPORT_AT_BORDER", "10", "0.00")]
    assert result["customs"]["import_tax"] == "150.00"


def test_au_basic_food_is_gst_free() -> None:
    assert schemes(quote_from_json(request("AU", ["40.00"], category="food", hs_code="090121"))) == [
        ("EXEMPT", "0", "0.00")]


@pytest.mark.parametrize(("prescription", "expected"), [(True, ("EXEMPT", "0", "0.00")),
                                                        (False, ("AU_LVG", "10", "4.00"))])
def test_au_prescription_medicines_are_gst_free(prescription: bool, expected: tuple[str, ...]) -> None:
    body = request("AU", ["40.00"], category="medical", hs_code="300490", attributes={"prescription": prescription})
    assert schemes(quote_from_json(body)) == [expected]


def test_nz_food_is_taxed() -> None:
    assert schemes(quote_from_json(request("NZ", ["40.00"], category="food", hs_code="090121"))) == [
        ("NZ_LVG", "15", "6.00")]


@pytest.mark.parametrize(("country", "tax"), [("AU", "10.00"), ("NZ", "15.00")])
def test_digital_services_are_charged_by_the_registered_supplier(country: str, tax: str) -> None:
    result = quote_from_json(request(country, ["100.00"], category="digital", hs_code=None))
    assert schemes(result) == [("DOMESTIC", "15" if country == "NZ" else "10", tax)]
    assert result["customs"] is None


def test_au_shipping_is_taxed_with_the_low_value_goods() -> None:
    result = quote_from_json(request("AU", ["200.00"], shipping="20.00"))
    assert (result["shipping"]["tax_amount"], result["tax_total"]) == ("2.00", "22.00")


@pytest.mark.parametrize(("country", "hs_code", "date", "scheme"), [
    ("AU", "220421", "2026-03-01", "IMPORT_AT_BORDER"), ("AU", "240220", "2026-03-01", "IMPORT_AT_BORDER"),
    ("NZ", "220830", "2026-03-01", "IMPORT_AT_BORDER"), ("NZ", "220110", "2026-03-01", "NZ_LVG"),
])
def test_alcohol_and_tobacco_are_outside_the_lvg_regime(country: str, hs_code: str, date: str, scheme: str) -> None:
    result = quote_from_json(request(country, ["60.00"], hs_code=hs_code, date=date))
    assert schemes(result)[0][0] == scheme
