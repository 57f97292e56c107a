"""US sales tax quotes end to end (JSON in, JSON out): state rates with dates on both sides of every change, nexus
(registrations), states without sales tax, shipping rules and the example scenarios US-01, US-04, US-07."""

from __future__ import annotations

from typing import Any

import pytest

from tax_rules import quote_from_json
from tax_rules.errors import TaxInputError

ALL_STATES = ("AL AZ AR CA CO CT DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO NE NV NJ NM NY NC ND OH OK PA "
              "RI SC SD TN TX UT VT VA WA WV WI WY").split()


def us_request(state: str, lines: list[dict[str, Any]], *, date: str = "2026-03-01", shipping: str = "0",
               separately_stated: bool = True, registered: tuple[str, ...] | None = None,
               postal_code: str = "00000", inclusive: bool = False) -> dict[str, Any]:
    regs = registered if registered is not None else (state,)
    return {
        "date": date, "currency": "USD", "prices_include_tax": inclusive,
        "ship_from": {"country": "CN", "region": "GD", "postal_code": "518000"},
        "ship_to": {"country": "US", "region": state, "postal_code": postal_code},
        "customer": {"type": "B2C", "vat_id": None},
        "seller": {"established": "CN",
                   "registrations": [{"scheme": "US_SALES_TAX", "region": f"US-{s}"} for s in regs]},
        "lines": [{"id": str(i + 1), "quantity": 1, **line} for i, line in enumerate(lines)],
        "shipping": {"amount": shipping, "separately_stated": separately_stated},
    }


def general(price: str, **extra: Any) -> dict[str, Any]:
    return {"hs_code": "847130", "category": "general", "unit_price": price, **extra}


def state_rate(state: str, date: str) -> str:
    result = quote_from_json(us_request(state, [general("100.00")], date=date))
    return result["lines"][0]["rate"]


@pytest.mark.parametrize(("state", "date", "rate"), [
    ("LA", "2024-12-31", "4.45"), ("LA", "2025-01-01", "5"),
    ("SD", "2023-06-30", "4.5"), ("SD", "2023-07-01", "4.2"), ("SD", "2027-06-30", "4.2"), ("SD", "2027-07-01", "4.5"),
    ("DC", "2025-09-30", "6"), ("DC", "2025-10-01", "6"), ("DC", "2026-09-30", "6"), ("DC", "2026-10-01", "7"),
    ("NM", "2022-06-30", "5.125"), ("NM", "2022-07-01", "5"), ("NM", "2023-06-30", "5"), ("NM", "2023-07-01", "4.875"),
])
def test_state_rate_changes_on_their_dates(state: str, date: str, rate: str) -> None:
    assert state_rate(state, date) == rate


def test_dc_explains_the_repealed_2025_step() -> None:
    result = quote_from_json(us_request("DC", [general("100.00")], date="2025-10-01"))
    assert result["lines"][0]["tax_amount"] == "6.00"
    assert any("6.5 % step scheduled for 2025-10-01 was repealed" in e for e in result["explanation"])


def test_every_state_has_its_2026_11_27_rate() -> None:
    expected = dict(pair.split() for pair in (
        "AL 4, AZ 5.6, AR 6.5, CA 7.25, CO 2.9, CT 6.35, DC 7, FL 6, GA 4, HI 4, ID 6, IL 6.25, IN 7, IA 6, KS 6.5, "
        "KY 6, LA 5, ME 5.5, MD 6, MA 6.25, MI 6, MN 6.875, MS 7, MO 4.225, NE 5.5, NV 6.85, NJ 6.625, NM 4.875, NY 4, "
        "NC 4.75, ND 5, OH 5.75, OK 4.5, PA 6, RI 7, SC 6, SD 4.2, TN 7, TX 6.25, UT 4.85, VT 6, VA 4.3, WA 6.5, WV 6, "
        "WI 5, WY 4").split(", "))
    assert sorted(expected) == sorted(ALL_STATES) and len(ALL_STATES) == 46
    assert {s: state_rate(s, "2026-11-27") for s in ALL_STATES} == expected


def test_us_line_carries_a_state_component_and_warns_without_local_table() -> None:
    result = quote_from_json(us_request("CA", [general("1000.00")], postal_code="94103"))
    line = result["lines"][0]
    assert (result["jurisdiction"], result["scheme"], line["scheme"]) == ("US-CA", "US_SALES_TAX", "US_SALES_TAX")
    assert line["components"] == [{"level": "state", "name": "CA state sales tax", "rate": "7.25",
                                   "tax_amount": "72.50"}]
    assert any("local tax is not included" in w for w in result["warnings"])


def test_state_not_in_registrations_is_no_nexus_with_nothing_collected() -> None:
    result = quote_from_json(us_request("NY", [general("500.00")], registered=("CA",), shipping="10.00"))
    assert (result["scheme"], result["tax_total"]) == ("NO_NEXUS", "0.00")
    assert [(l["scheme"], l["rate"], l["tax_amount"]) for l in result["lines"]] == [("NO_NEXUS", "0", "0.00")]
    assert result["shipping"]["tax_amount"] == "0.00"
    words = " ".join(result["explanation"])
    assert "no US_SALES_TAX registration for US-NY" in words
    assert "sales of more than $500,000.00 AND more than 100 transactions" in words


@pytest.mark.parametrize("state", ["OR", "DE", "MT", "NH", "AK"])
def test_states_without_sales_tax_are_out_of_scope(state: str) -> None:
    result = quote_from_json(us_request(state, [general("250.00")], shipping="5.00"))
    assert (result["scheme"], result["tax_total"], result["lines"][0]["rate"]) == ("OUT_OF_SCOPE", "0.00", "0")
    assert result["lines"][0]["components"] == [{"level": "state", "name": f"{state} state sales tax", "rate": "0",
                                                 "tax_amount": "0.00"}]
    assert any(f"{state} levies no statewide sales tax" in e for e in result["explanation"])


def test_us_01_ny_tshirt_under_110_is_state_exempt() -> None:
    request = us_request("NY", [{"hs_code": "610910", "category": "clothing", "unit_price": 80.0, "unit_cost": 15.0}],
                         registered=("CA", "NY", "MA", "PA", "RI", "TX", "IL", "MS", "DC", "LA"), postal_code="12207")
    result = quote_from_json(request)
    assert result["jurisdiction"] == "US-NY"
    assert (result["lines"][0]["tax_amount"], result["tax_total"]) == ("0.00", "0.00")
    assert any("4 %" in e for e in result["lines"][0]["explanation"])


def test_us_04_pa_tshirt_exempt_laptop_taxable() -> None:
    result = quote_from_json(us_request("PA", [
        {"hs_code": "610910", "category": "clothing", "unit_price": 30.0, "unit_cost": 6.0},
        {"hs_code": "847130", "category": "general", "unit_price": 500.0, "unit_cost": 300.0}], postal_code="17101"))
    assert [l["tax_amount"] for l in result["lines"]] == ["0.00", "30.00"]
    assert [l["scheme"] for l in result["lines"]] == ["EXEMPT", "US_SALES_TAX"]
    assert result["tax_total"] == "30.00" and result["lines"][1]["rate"] == "6"


def test_us_07_ca_separately_stated_shipping_not_taxed() -> None:
    result = quote_from_json(us_request("CA", [general("1000.00")], shipping="20.00", postal_code="94103"))
    assert result["tax_total"] == "72.50"
    assert result["shipping"]["taxable"] is False and result["shipping"]["tax_amount"] == "0.00"


def test_ca_shipping_not_separately_stated_follows_the_goods() -> None:
    result = quote_from_json(us_request("CA", [general("1000.00")], shipping="20.00", separately_stated=False))
    assert result["shipping"]["tax_amount"] == "1.45"  # 20.00 x 7.25 %
    assert result["tax_total"] == "73.95"


def test_ca_delivery_not_by_common_carrier_is_taxable() -> None:
    request = us_request("CA", [general("1000.00")], shipping="20.00")
    request["shipping"]["by_common_carrier"] = False
    assert quote_from_json(request)["shipping"]["tax_amount"] == "1.45"
    request["shipping"]["by_common_carrier"] = True
    assert quote_from_json(request)["shipping"]["tax_amount"] == "0.00"


@pytest.mark.parametrize(("date", "warned"), [("2026-09-30", False), ("2026-10-01", True)])
def test_unconfirmed_scheduled_rate_is_flagged(date: str, warned: bool) -> None:
    result = quote_from_json(us_request("DC", [general("100.00")], date=date))
    assert any("not confirmed against a primary source" in w for w in result["warnings"]) is warned


def test_conditional_shipping_is_taxed_only_on_the_taxable_goods_share() -> None:
    result = quote_from_json(us_request("NY", [
        general("100.00"), {"hs_code": "610910", "category": "clothing", "unit_price": "50.00"}], shipping="15.00"))
    assert [l["tax_amount"] for l in result["lines"]] == ["4.00", "0.00"]
    assert result["shipping"]["tax_amount"] == "0.40"  # share 10.00 of the taxable laptop x 4 %
    assert result["tax_total"] == "4.40"


def test_hawaii_always_taxes_shipping() -> None:
    result = quote_from_json(us_request("HI", [general("100.00")], shipping="10.00"))
    assert (result["shipping"]["taxable"], result["shipping"]["tax_amount"]) == (True, "0.40")


def test_b2b_is_taxed_like_b2c_with_a_warning() -> None:
    request = us_request("TX", [general("100.00")])
    request["customer"] = {"type": "B2B", "vat_id": None}
    result = quote_from_json(request)
    assert result["tax_total"] == "6.25"
    assert any("exemption certificates are not modelled" in w for w in result["warnings"])


@pytest.mark.parametrize(("region", "code"), [(None, "MISSING_FIELD"), ("PR", "INVALID_REGION")])
def test_bad_us_region_is_an_input_error(region: str | None, code: str) -> None:
    request = us_request("CA", [general("1.00")])
    request["ship_to"]["region"] = region
    with pytest.raises(TaxInputError) as err:
        quote_from_json(request)
    assert (err.value.code, err.value.path) == (code, "ship_to.region")


def test_date_before_the_us_tables_is_out_of_range() -> None:
    with pytest.raises(TaxInputError) as err:
        quote_from_json(us_request("CA", [general("1.00")], date="2020-12-31"))
    assert (err.value.code, err.value.path) == ("DATE_OUT_OF_RANGE", "date")


@pytest.mark.parametrize(("origin", "date", "regime", "words"), [
    ("CN", "2025-05-01", "US_DE_MINIMIS", "shipment value USD 120.00 <= USD 800 de minimis"),
    ("CN", "2025-05-02", None, "US import from CN: de minimis suspended"),
    ("DE", "2025-08-28", "US_DE_MINIMIS", "shipment value USD 120.00 <= USD 800 de minimis"),
    ("DE", "2025-08-29", None, "US import from DE: de minimis suspended"),
    ("DE", "2027-07-01", None, "US import from DE: de minimis repealed"),
])
def test_import_de_minimis_and_its_suspension(origin: str, date: str, regime: str | None, words: str) -> None:
    request = us_request("TX", [general("120.00", unit_cost="40.00")], date=date)
    request["ship_from"] = {"country": origin, "region": None, "postal_code": None}
    result = quote_from_json(request)
    assert result["tax_total"] == "7.50"  # sales tax is unaffected
    customs = result["customs"]
    assert (customs["low_value_regime"], customs["intrinsic_value"], customs["cost_value"]) == (regime, "120.00", "40.00")
    assert (customs["duty"], customs["import_tax"]) == ("0.00", "0.00")
    assert any(words in e for e in result["explanation"])


def test_de_minimis_value_above_800_and_domestic_shipments() -> None:
    above = quote_from_json(us_request("TX", [general("800.01")], date="2025-03-01"))
    assert above["customs"]["low_value_regime"] is None
    assert any("USD 800.01 > USD 800 de minimis: formal duties apply" in e for e in above["explanation"])
    domestic = us_request("TX", [general("120.00")])
    domestic["ship_from"] = {"country": "US", "region": "NJ", "postal_code": "07001"}
    assert quote_from_json(domestic)["customs"] is None
