"""SG, MY, TH, ID, PH, VN quotes: dated rates and regimes on both sides of every change, registration context,
thresholds (converted with exchange rates), import-at-border estimates and the SG-01 example."""

from __future__ import annotations

from typing import Any

import pytest

from tax_rules import quote_from_json
from tax_rules.errors import TaxInputError

CURRENCY = {"SG": "SGD", "MY": "MYR", "TH": "THB", "ID": "IDR", "PH": "PHP", "VN": "VND"}
REGISTRATION = {"SG": "SG_OVR", "MY": "MY_LVG", "TH": "TH_VAT", "ID": "ID_VAT", "PH": "PH_VAT", "VN": "VN_VAT"}


def request(country: str, price: str, *, date: str, registered: bool = True, ship_from: str = "CN",
            hs_code: str | None = "851830", category: str | None = "general", shipping: str = "0",
            customer: str = "B2C", currency: str | None = None, rates: dict[str, str] | None = None,
            attributes: dict[str, Any] | None = None) -> dict[str, Any]:
    line: dict[str, Any] = {"id": "1", "unit_price": price, "quantity": 1, "unit_cost": "1.00"}
    if hs_code:
        line["hs_code"] = hs_code
    if category:
        line["category"] = category
    if attributes:
        line["attributes"] = attributes
    body: dict[str, Any] = {
        "date": date, "currency": currency or CURRENCY[country], "prices_include_tax": False,
        "ship_from": {"country": ship_from, "region": None, "postal_code": None},
        "ship_to": {"country": country, "region": None, "postal_code": None},
        "customer": {"type": customer, "vat_id": None},
        "seller": {"established": ship_from,
                   "registrations": [{"scheme": REGISTRATION[country]}] if registered else []},
        "lines": [line], "shipping": {"amount": shipping, "separately_stated": True},
    }
    if rates:
        body["exchange_rates"] = rates
    return body


def summary(result: dict[str, Any]) -> tuple[str, str, str, str]:
    line = result["lines"][0]
    return line["scheme"], line["rate"], line["tax_amount"], (result["customs"] or {}).get("import_tax", "-")


# ----------------------------------------------------------------------------------------------------- Singapore

def test_sg_01_example_ovr_low_value_goods() -> None:
    result = quote_from_json(request("SG", "100.00", date="2024-02-01"))
    assert (result["jurisdiction"], result["scheme"]) == ("SG", "SG_OVR_LVG")
    assert summary(result) == ("SG_OVR_LVG", "9", "9.00", "0.00")
    assert result["customs"]["low_value_regime"] == "SG_OVR_LVG"


@pytest.mark.parametrize(("date", "expected"), [
    ("2022-12-31", ("IMPORT_AT_BORDER", "7", "0.00", "0.00")),  # no OVR for goods yet; S$400 import relief
    ("2023-01-01", ("SG_OVR_LVG", "8", "8.00", "0.00")),
    ("2023-12-31", ("SG_OVR_LVG", "8", "8.00", "0.00")),
    ("2024-01-01", ("SG_OVR_LVG", "9", "9.00", "0.00")),
])
def test_sg_rates_and_ovr_start(date: str, expected: tuple[str, ...]) -> None:
    assert summary(quote_from_json(request("SG", "100.00", date=date))) == expected


def test_sg_400_limit_per_item() -> None:
    assert summary(quote_from_json(request("SG", "400.00", date="2025-05-01")))[:3] == ("SG_OVR_LVG", "9", "36.00")
    above = quote_from_json(request("SG", "400.01", date="2025-05-01"))
    assert summary(above) == ("IMPORT_AT_BORDER", "9", "0.00", "36.00")
    assert above["tax_total"] == "0.00" and above["scheme"] == "IMPORT_AT_BORDER"


def test_sg_unregistered_seller_goods_go_through_the_border_relief() -> None:
    result = quote_from_json(request("SG", "100.00", date="2025-05-01", registered=False))
    assert summary(result) == ("IMPORT_AT_BORDER", "9", "0.00", "0.00")
    assert result["customs"]["low_value_regime"] == "BORDER_RELIEF"
    assert any("S$1,000,000 AND" in w for w in result["warnings"])


def test_sg_b2b_is_reverse_charged() -> None:
    result = quote_from_json(request("SG", "100.00", date="2025-05-01", customer="B2B"))
    assert summary(result)[:3] == ("REVERSE_CHARGE", "0", "0.00")


def test_sg_shipping_is_part_of_the_ovr_supply() -> None:
    result = quote_from_json(request("SG", "100.00", date="2025-05-01", shipping="10.00"))
    assert (result["shipping"]["tax_amount"], result["tax_total"]) == ("0.90", "9.90")


@pytest.mark.parametrize(("usd", "scheme"), [("296.29", "SG_OVR_LVG"), ("296.30", "IMPORT_AT_BORDER")])
def test_sg_threshold_uses_the_supplied_exchange_rate(usd: str, scheme: str) -> None:
    # 296.29 x 1.35 = 399.99 (within S$400); 296.30 x 1.35 = 400.005 (above)
    result = quote_from_json(request("SG", usd, date="2025-05-01", currency="USD", rates={"SGD": "1.35"}))
    assert result["lines"][0]["scheme"] == scheme
    assert any("supplied rate 1 USD = 1.35 SGD" in e for e in result["explanation"])
    assert not any("indicative" in w for w in result["warnings"])


def test_sg_threshold_without_a_supplied_rate_warns_about_the_stated_rate() -> None:
    result = quote_from_json(request("SG", "100.00", date="2025-05-01", currency="USD"))
    assert result["lines"][0]["scheme"] == "SG_OVR_LVG"
    assert any("stated indicative exchange rate" in w for w in result["warnings"])


# ----------------------------------------------------------------------------------------------------- Malaysia

@pytest.mark.parametrize(("date", "expected"), [
    ("2023-12-31", ("IMPORT_AT_BORDER", "10", "0.00", "0.00")),  # LVG charging starts 2024-01-01; RM500 relief
    ("2024-01-01", ("MY_LVG", "10", "10.00", "0.00")),
])
def test_my_lvg_starts_2024(date: str, expected: tuple[str, ...]) -> None:
    assert summary(quote_from_json(request("MY", "100.00", date=date))) == expected


def test_my_lvg_base_excludes_shipping() -> None:
    result = quote_from_json(request("MY", "100.00", date="2025-03-01", shipping="20.00"))
    assert (result["tax_total"], result["shipping"]["taxable"], result["shipping"]["tax_amount"]) == (
        "10.00", False, "0.00")


def test_my_above_rm500_is_taxed_at_the_border_on_goods_plus_shipping() -> None:
    assert summary(quote_from_json(request("MY", "500.00", date="2025-03-01")))[0] == "MY_LVG"
    result = quote_from_json(request("MY", "500.01", date="2025-03-01", shipping="20.00"))
    assert summary(result) == ("IMPORT_AT_BORDER", "10", "0.00", "52.00")  # 10 % x (500.01 + 20.00)


def test_my_domestic_retail_sale_is_out_of_scope() -> None:
    result = quote_from_json(request("MY", "100.00", date="2025-03-01", ship_from="MY"))
    assert summary(result)[:3] == ("OUT_OF_SCOPE", "0", "0.00")


# ----------------------------------------------------------------------------------------------------- Thailand

@pytest.mark.parametrize(("date", "import_tax"), [("2024-07-04", "0.00"), ("2024-07-05", "70.00")])
def test_th_low_value_import_relief_ends_2024_07_05(date: str, import_tax: str) -> None:
    result = quote_from_json(request("TH", "1000.00", date=date, registered=False))
    assert summary(result) == ("IMPORT_AT_BORDER", "7", "0.00", import_tax)


def test_th_domestic_registered_seller_collects_7() -> None:
    result = quote_from_json(request("TH", "1000.00", date="2026-03-01", ship_from="TH"))
    assert summary(result)[:3] == ("DOMESTIC", "7", "70.00")


def test_th_rate_after_2026_09_30_is_marked_unconfirmed() -> None:
    result = quote_from_json(request("TH", "1000.00", date="2026-10-01", ship_from="TH"))
    assert summary(result)[:3] == ("DOMESTIC", "7", "70.00")
    assert any("VERIFY" in e for e in result["lines"][0]["explanation"])
    assert "not confirmed against a primary source (VERIFY in the rules data): TH VAT 7 %" in result["warnings"]
    earlier = quote_from_json(request("TH", "1000.00", date="2026-09-30", ship_from="TH"))
    assert not any("VERIFY" in w for w in earlier["warnings"])


# ---------------------------------------------------------------------------------------------------- Indonesia

@pytest.mark.parametrize(("date", "luxury", "rate", "tax"), [
    ("2022-03-31", False, "10", "100000"),
    ("2022-04-01", False, "11", "110000"),
    ("2024-12-31", False, "11", "110000"),
    ("2025-01-01", False, "12", "110000"),   # 12 % x 11/12 of the price
    ("2025-01-31", True, "12", "110000"),    # January 2025 transition for luxury goods
    ("2025-02-01", True, "12", "120000"),    # luxury: 12 % on the full price
    ("2025-02-01", False, "12", "110000"),
])
def test_id_rates_and_the_11_12_base(date: str, luxury: bool, rate: str, tax: str) -> None:
    body = request("ID", "1000000", date=date, ship_from="ID", attributes={"luxury": luxury})
    assert summary(quote_from_json(body))[:3] == ("DOMESTIC", rate, tax)


def test_id_import_has_no_border_relief() -> None:
    result = quote_from_json(request("ID", "100000", date="2025-06-01", registered=False))
    assert summary(result) == ("IMPORT_AT_BORDER", "12", "0", "11000")


# -------------------------------------------------------------------------------------------------- Philippines

def digital(country: str, date: str, **kw: Any) -> dict[str, Any]:
    return request(country, "100.00", date=date, hs_code=None, category="digital", **kw)


@pytest.mark.parametrize(("date", "expected"), [
    ("2025-06-01", ("OUT_OF_SCOPE", "0", "0.00")), ("2025-06-02", ("DOMESTIC", "12", "12.00"))])
def test_ph_digital_services_by_non_residents_from_2025_06_02(date: str, expected: tuple[str, ...]) -> None:
    result = quote_from_json(digital("PH", date))
    assert summary(result)[:3] == expected and result["customs"] is None


def test_ph_unregistered_digital_supplier_still_owes_vat_and_is_warned() -> None:
    result = quote_from_json(digital("PH", "2025-07-01", registered=False))
    assert summary(result)[:3] == ("DOMESTIC", "12", "12.00")
    assert any("holds no PH_VAT registration" in w for w in result["warnings"])


def test_ph_b2b_digital_is_withheld_by_the_buyer() -> None:
    assert summary(quote_from_json(digital("PH", "2025-07-01", customer="B2B")))[:3] == ("REVERSE_CHARGE", "0", "0.00")


@pytest.mark.parametrize(("price", "import_tax"), [("10000.00", "0.00"), ("20000.00", "2400.00")])
def test_ph_goods_are_excluded_from_the_digital_rule_and_imported(price: str, import_tax: str) -> None:
    result = quote_from_json(request("PH", price, date="2025-07-01"))
    assert summary(result) == ("IMPORT_AT_BORDER", "12", "0.00", import_tax)


# ------------------------------------------------------------------------------------------------------ Vietnam

@pytest.mark.parametrize(("date", "rate"), [
    ("2022-01-31", "10"), ("2022-02-01", "8"), ("2022-12-31", "8"), ("2023-01-01", "10"), ("2023-06-30", "10"),
    ("2023-07-01", "8"), ("2024-06-30", "8"), ("2024-07-01", "8"), ("2025-06-30", "8"), ("2025-07-01", "8"),
    ("2026-12-31", "8"), ("2027-01-01", "10"),
])
def test_vn_dated_8_percent_reductions(date: str, rate: str) -> None:
    result = quote_from_json(request("VN", "1000000", date=date, ship_from="VN", hs_code="610910",
                                     category="clothing"))
    assert summary(result)[:2] == ("DOMESTIC", rate)


@pytest.mark.parametrize(("date", "rate"), [("2025-06-30", "10"), ("2025-07-01", "8")])
def test_vn_it_goods_excluded_until_2025_06_30(date: str, rate: str) -> None:
    result = quote_from_json(request("VN", "1000000", date=date, ship_from="VN", hs_code="847130"))
    assert summary(result)[1] == rate


def test_vn_special_consumption_tax_goods_keep_10() -> None:
    result = quote_from_json(request("VN", "1000000", date="2025-08-01", ship_from="VN", hs_code="220300",
                                     category="general"))
    assert summary(result)[:3] == ("DOMESTIC", "10", "100000")


@pytest.mark.parametrize(("date", "import_tax"), [("2025-02-17", "0"), ("2025-02-18", "40000")])
def test_vn_low_value_import_exemption_ends_2025_02_18(date: str, import_tax: str) -> None:
    result = quote_from_json(request("VN", "500000", date=date, registered=False, hs_code="610910",
                                     category="clothing"))
    assert summary(result) == ("IMPORT_AT_BORDER", "8", "0", import_tax)


def test_threshold_conversion_without_any_known_rate_is_an_input_error() -> None:
    with pytest.raises(TaxInputError) as err:
        quote_from_json(request("SG", "100.00", date="2025-05-01", currency="BRL"))
    assert (err.value.code, err.value.path) == ("NO_EXCHANGE_RATE", "exchange_rates.SGD")
    supplied = quote_from_json(request("SG", "100.00", date="2025-05-01", currency="BRL", rates={"SGD": "0.25"}))
    assert supplied["lines"][0]["scheme"] == "SG_OVR_LVG" and supplied["tax_total"] == "9.00"


@pytest.mark.parametrize(("country", "hs_code", "date", "scheme"), [
    ("MY", "854340", "2024-01-01", "IMPORT_AT_BORDER"), ("MY", "851830", "2024-01-01", "MY_LVG"),
    ("SG", "220300", "2023-01-01", "IMPORT_AT_BORDER"), ("SG", "220300", "2022-12-31", "IMPORT_AT_BORDER"),
])
def test_dutiable_and_vaping_goods_are_outside_the_lvg_regime(country: str, hs_code: str, date: str,
                                                              scheme: str) -> None:
    result = quote_from_json(request(country, "50.00", date=date, hs_code=hs_code))
    assert result["lines"][0]["scheme"] == scheme
    if hs_code != "851830" and date >= "2023-01-01":
        assert any("is excluded from the" in e for e in result["lines"][0]["explanation"])
