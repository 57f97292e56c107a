"""UK VAT: the GBP 135 low-value rule, zero rates, GB vs XI, B2B, domestic, digital."""

from __future__ import annotations

import pytest

from tax_rules import TaxInputError, quote_from_json

from .builders import line, request


def gb(**kwargs):
    kwargs.setdefault("ship_to", "GB")
    kwargs.setdefault("postal_code", "SW1A 1AA")
    kwargs.setdefault("currency", "GBP")
    kwargs.setdefault("registrations", [{"scheme": "UK_VAT", "number": "GB980780684"}])
    return quote_from_json(request(**kwargs))


@pytest.mark.parametrize(("price", "inclusive", "scheme", "tax"), [
    ("135.00", False, "UK_LVG", "27.00"), ("135.01", False, "IMPORT_AT_BORDER", "0.00"),
    ("162.00", True, "UK_LVG", "27.00"), ("162.01", True, "IMPORT_AT_BORDER", "0.00"),
])
def test_135_pound_boundary(price: str, inclusive: bool, scheme: str, tax: str) -> None:
    result = gb(lines=[line(unit_price=price)], inclusive=inclusive)
    assert (result["jurisdiction"], result["scheme"], result["tax_total"]) == ("GB", scheme, tax)


def test_above_135_import_vat_estimate_includes_transport() -> None:
    result = gb(lines=[line(unit_price="200.00")], shipping="10.00")
    customs = result["customs"]
    assert (customs["low_value_regime"], customs["import_tax"], customs["duty_currency"]) == ("IMPORT_STANDARD",
                                                                                               "42.00", "GBP")
    assert "UK customs duty above GBP 135 is not estimated" in result["warnings"]


@pytest.mark.parametrize(("hs", "attributes", "rate"), [
    ("610910", {}, "20"), ("610910", {"childrens": True}, "0"), ("611120", {}, "0"), ("490199", {}, "0"),
    ("190590", {}, "0"), ("180690", {}, "20"), ("961900", {}, "0"), ("300490", {}, "20"),
    ("300490", {"prescription": True}, "0"),
])
def test_uk_rates_by_category(hs: str, attributes: dict, rate: str) -> None:
    result = gb(lines=[line(hs_code=hs, attributes=attributes)])
    assert result["lines"][0]["rate"] == rate


def test_uk_point_of_sale_vat_example() -> None:
    result = gb(lines=[line(unit_price="40.00")], inclusive=True)
    assert (result["scheme"], result["tax_total"], result["taxable_total"]) == ("UK_LVG", "6.67", "33.33")
    assert result["explanation"][0].startswith("UK VAT at the point of sale: consignment intrinsic value GBP 33.33")


def test_no_uk_registration_is_a_warning() -> None:
    result = gb(registrations=[])
    assert result["warnings"] == ["seller holds no UK VAT registration: non-UK sellers must register from the first sale"]


def test_b2b_low_value_import_is_reverse_charged() -> None:
    result = gb(customer={"type": "B2B", "vat_id": "GB980780684"})
    assert (result["scheme"], result["tax_total"], result["lines"][0]["rate"]) == ("REVERSE_CHARGE", "0.00", "0")


def test_b2b_with_failing_vat_number_is_b2c() -> None:
    result = gb(customer={"type": "B2B", "vat_id": "GB980780685"})
    assert result["scheme"] == "UK_LVG"
    assert result["warnings"][0].startswith("customer VAT number GB980780685 fails the python-stdnum check")


def test_domestic_gb_and_from_northern_ireland() -> None:
    for origin, postal in (("GB", "M1 1AA"), ("GB", "BT1 1AA")):
        result = gb(ship_from=origin, from_postal_code=postal, established="GB", lines=[line(unit_price="100.00")])
        assert (result["scheme"], result["tax_total"], result["customs"]) == ("DOMESTIC", "20.00", None)


def test_bt_postcode_is_northern_ireland_not_gb() -> None:
    result = gb(postal_code="BT7 1NN")
    assert result["jurisdiction"] == "XI"


def test_digital_to_uk_consumer_is_uk_vat() -> None:
    result = gb(lines=[line(hs_code=None, category="digital", unit_price="10.00")])
    assert (result["scheme"], result["tax_total"]) == ("DOMESTIC", "2.00")


def test_uk_dates_before_2021_are_refused() -> None:
    with pytest.raises(TaxInputError) as error:
        gb(date="2020-12-31")
    assert (error.value.code, error.value.path) == ("DATE_OUT_OF_RANGE", "date")
