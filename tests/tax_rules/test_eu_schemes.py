"""EU schemes: territories, IOSS vs import, OSS and the EUR 10,000 rule, B2B reverse charge, EUR 3 duty, XI."""

from __future__ import annotations

import pytest

from tax_rules import TaxInputError, quote_from_json

from .builders import IOSS_DE, line, request


def q(**kwargs):
    return quote_from_json(request(**kwargs))


@pytest.mark.parametrize(("country", "postal", "inside"), [
    ("ES", "35001", False), ("ES", "38001", False), ("ES", "51001", False), ("ES", "52001", False),
    ("ES", "28001", True), ("DE", "27498", False), ("DE", "78266", False), ("DE", "10115", True),
    ("IT", "23041", False), ("IT", "22061", False), ("IT", "00100", True), ("FI", "22100", False),
    ("FI", "00100", True), ("GR", "63086", False), ("FR", "97100", False), ("FR", "97400", False),
    ("FR", "97133", False), ("FR", "75001", True),
])
def test_territories_outside_the_vat_area(country: str, postal: str, inside: bool) -> None:
    result = q(ship_to=country, postal_code=postal, registrations=[IOSS_DE])
    assert (result["scheme"] != "OUT_OF_SCOPE") is inside
    if not inside:
        assert (result["tax_total"], result["lines"][0]["rate"], result["shipping"]["taxable"]) == ("0.00", "0", False)


def test_canary_islands_explanation_names_the_territory() -> None:
    result = q(ship_to="ES", postal_code="35 001", registrations=[IOSS_DE])
    assert result["explanation"][0].startswith("Canary Islands (postcode 35 001) is outside the EU VAT area")


@pytest.mark.parametrize(("price", "inclusive", "scheme"), [
    ("150.00", False, "IOSS"), ("150.01", False, "IMPORT_AT_BORDER"),
    ("178.50", True, "IOSS"), ("178.51", True, "IMPORT_AT_BORDER"),
])
def test_ioss_150_boundary(price: str, inclusive: bool, scheme: str) -> None:
    result = q(registrations=[IOSS_DE], inclusive=inclusive, lines=[line(unit_price=price)])
    assert result["scheme"] == scheme


def test_separately_stated_transport_is_outside_the_intrinsic_value() -> None:
    # AEAT worked example: coat 140 + transport 15 shown separately -> intrinsic value 140, IOSS allowed
    separate = q(registrations=[IOSS_DE], lines=[line(unit_price="140.00")], shipping="15.00")
    assert (separate["scheme"], separate["customs"]["intrinsic_value_eur"]) == ("IOSS", "140.00")
    # the VAT base still includes the delivery charged to the customer
    assert (separate["tax_total"], separate["shipping"]["tax_amount"]) == ("29.45", "2.85")
    included = q(registrations=[IOSS_DE], lines=[line(unit_price="140.00")], shipping="15.00", separately_stated=False)
    assert (included["scheme"], included["customs"]["intrinsic_value_eur"]) == ("IMPORT_AT_BORDER", "155.00")


def test_no_ioss_number_means_import_at_the_border_with_estimated_import_vat() -> None:
    result = q(lines=[line(unit_price="40.00")])
    assert (result["scheme"], result["tax_total"], result["lines"][0]["rate"]) == ("IMPORT_AT_BORDER", "0.00", "19")
    assert (result["customs"]["low_value_regime"], result["customs"]["import_tax"]) == ("IMPORT_LOW_VALUE", "7.60")


def test_invalid_ioss_number_is_a_warning_and_not_used() -> None:
    result = q(registrations=[{"scheme": "IOSS", "number": "IM1560000001"}])
    assert result["scheme"] == "IMPORT_AT_BORDER"
    assert result["warnings"][0].startswith("IOSS number IM1560000001 fails the python-stdnum check")


def test_import_above_150_to_nl_duty_and_import_vat() -> None:
    # shared/domain/tax.md scenario EU-04: value 175, duty 21.00, VAT 41.16
    result = q(ship_to="NL", postal_code="1011AB", lines=[line(unit_price="175.00", unit_cost="60.00")])
    customs = result["customs"]
    assert (result["scheme"], customs["duty"], customs["import_tax"]) == ("IMPORT_AT_BORDER", "21.00", "41.16")
    assert (customs["low_value_regime"], customs["cost_value"], result["tax_total"]) == ("IMPORT_STANDARD", "60.00",
                                                                                           "0.00")


def test_ioss_threshold_in_another_currency_uses_the_supplied_rate() -> None:
    under = q(currency="USD", registrations=[IOSS_DE], lines=[line(unit_price="160.00")],
              exchange_rates={"EUR": "0.90"})
    assert (under["scheme"], under["customs"]["intrinsic_value_eur"], under["warnings"]) == ("IOSS", "144.00", [])
    stated = q(currency="USD", registrations=[IOSS_DE], lines=[line(unit_price="160.00")])
    assert stated["scheme"] == "IOSS"
    assert "stated indicative rate" in stated["warnings"][0]


@pytest.mark.parametrize(("day", "lines", "duty", "items"), [
    ("2026-06-30", [line(quantity=5, unit_price="10.00")], "0.00", 0),
    ("2026-07-01", [line(quantity=5, unit_price="10.00")], "3.00", 1),
    ("2026-07-01", [line(id="1", hs_code="610910"), line(id="2", hs_code="6109.10.00", unit_price="20.00")], "3.00", 1),
    ("2026-07-01", [line(id="1", hs_code="610910"), line(id="2", hs_code="910211", unit_price="30.00")], "6.00", 2),
    ("2028-06-30", [line(quantity=5, unit_price="10.00")], "3.00", 1),
    ("2028-07-01", [line(quantity=5, unit_price="10.00")], "0.00", 0),
])
def test_flat_3_euro_duty_per_distinct_subheading(day: str, lines: list, duty: str, items: int) -> None:
    result = q(date=day, registrations=[IOSS_DE], lines=lines)
    assert (result["scheme"], result["customs"]["duty"], result["customs"]["duty_items"]) == ("IOSS", duty, items)
    assert result["customs"]["import_tax"] == "0.00"


def test_non_eu_seller_from_eu_stock_owes_destination_vat_from_the_first_euro() -> None:
    result = q(ship_from="PL", established="CN", turnover=("0", "0"),
               registrations=[{"scheme": "OSS_UNION", "country": "PL"}])
    assert (result["jurisdiction"], result["scheme"], result["lines"][0]["rate"]) == ("DE", "OSS_UNION", "19")
    assert result["explanation"][0].startswith("the EUR 10000 distance-sales threshold applies only to sellers")


@pytest.mark.parametrize(("turnover", "jurisdiction", "scheme", "rate"), [
    (("4000", "3000"), "FR", "DOMESTIC", "20"),
    (("4000", "9950"), "FR", "DOMESTIC", "20"),  # this sale (50.00) brings the year to exactly EUR 10,000
    (("4000", "9950.01"), "DE", "OSS_UNION", "19"),  # one cent more and it exceeds EUR 10,000
    (("10001", "0"), "DE", "OSS_UNION", "19"),
])
def test_eu_micro_seller_10k_threshold(turnover, jurisdiction: str, scheme: str, rate: str) -> None:
    result = q(ship_from="FR", established="FR", turnover=turnover, registrations=[{"scheme": "OSS_UNION",
                                                                                   "country": "FR"}])
    assert (result["jurisdiction"], result["scheme"], result["lines"][0]["rate"]) == (jurisdiction, scheme, rate)


def test_threshold_does_not_apply_when_goods_ship_from_another_member_state() -> None:
    result = q(ship_from="PL", established="FR", turnover=("0", "0"))
    assert (result["jurisdiction"], result["scheme"]) == ("DE", "OSS_UNION")


def test_domestic_supply() -> None:
    result = q(ship_from="DE", established="DE", lines=[line(unit_price="100.00")])
    assert (result["scheme"], result["tax_total"], result["customs"]) == ("DOMESTIC", "19.00", None)


def test_b2b_with_valid_vat_id_is_reverse_charged() -> None:
    result = q(ship_from="PL", customer={"type": "B2B", "vat_id": "DE136695976"},
               lines=[line(hs_code="851762", unit_price="100.00", quantity=10)])
    assert (result["scheme"], result["lines"][0]["rate"], result["tax_total"]) == ("REVERSE_CHARGE", "0", "0.00")
    assert result["warnings"] == []


@pytest.mark.parametrize(("vat_id", "warning"), [
    ("DE136695977", "customer VAT id DE136695977 fails the python-stdnum format/check-digit test"),
    (None, "customer type is B2B but no VAT id was given: treated as B2C"),
])
def test_b2b_without_a_passing_vat_id_is_treated_as_b2c(vat_id, warning: str) -> None:
    result = q(ship_from="PL", customer={"type": "B2B", "vat_id": vat_id}, lines=[line(unit_price="100.00")])
    assert (result["scheme"], result["tax_total"]) == ("OSS_UNION", "19.00")
    assert result["warnings"][0].startswith(warning)


def test_b2b_import_is_cleared_by_the_customer() -> None:
    result = q(customer={"type": "B2B", "vat_id": "DE136695976"}, registrations=[IOSS_DE])
    assert (result["scheme"], result["tax_total"]) == ("IMPORT_AT_BORDER", "0.00")


def test_rounding_line_and_invoice_are_both_reported() -> None:
    lines = [line(id=str(i), hs_code="330499", unit_price="1.05") for i in (1, 2, 3)]
    per_line = q(registrations=[IOSS_DE], inclusive=True, lines=lines)
    per_invoice = q(registrations=[IOSS_DE], inclusive=True, lines=lines, rounding="invoice")
    for result in (per_line, per_invoice):
        assert (result["tax_total_line_rounding"], result["tax_total_invoice_rounding"]) == ("0.51", "0.50")
    assert (per_line["tax_total"], per_invoice["tax_total"]) == ("0.51", "0.50")
    assert [x["tax_amount"] for x in per_invoice["lines"]] == ["0.17", "0.17", "0.16"]
    assert [x["taxable_amount"] for x in per_invoice["lines"]] == ["0.88", "0.88", "0.89"]


def test_digital_services_by_non_eu_seller_go_through_non_union_oss() -> None:
    result = q(registrations=[{"scheme": "OSS_NON_UNION"}], lines=[line(hs_code=None, category="digital",
                                                                        unit_price="10.00")])
    assert (result["scheme"], result["lines"][0]["rate"], result["tax_total"]) == ("OSS_NON_UNION", "19", "1.90")
    assert result["customs"] is None


def test_digital_services_by_small_eu_seller_take_home_vat() -> None:
    result = q(ship_from="FR", established="FR", turnover=("0", "0"),
               lines=[line(hs_code=None, category="digital", unit_price="10.00")])
    assert (result["jurisdiction"], result["lines"][0]["jurisdiction"], result["lines"][0]["rate"]) == ("DE", "FR",
                                                                                                          "20")


def test_multi_purpose_gift_card_is_out_of_scope_at_sale() -> None:
    result = q(lines=[line(hs_code=None, category="gift_card", unit_price="25.00")])
    assert (result["lines"][0]["scheme"], result["tax_total"]) == ("OUT_OF_SCOPE", "0.00")


def test_northern_ireland_from_china_with_ioss_and_with_uk_vat() -> None:
    ioss = q(ship_to="GB", postal_code="BT1 1AA", currency="GBP", registrations=[IOSS_DE])
    assert (ioss["jurisdiction"], ioss["scheme"], ioss["lines"][0]["rate"]) == ("XI", "IOSS", "20")
    uk = q(ship_to="XI", postal_code="BT1 1AA", currency="GBP", registrations=[{"scheme": "UK_VAT"}])
    assert (uk["jurisdiction"], uk["scheme"], uk["tax_total"]) == ("XI", "UK_LVG", "10.00")
    above = q(ship_to="XI", postal_code="BT1 1AA", currency="GBP", lines=[line(unit_price="135.01")])
    assert above["scheme"] == "IMPORT_AT_BORDER"


def test_northern_ireland_childrens_clothing_from_the_eu_is_zero_rated() -> None:
    result = q(ship_to="XI", postal_code="BT1 1AA", ship_from="DE", established="CN",
               registrations=[{"scheme": "OSS_UNION", "country": "DE"}],
               lines=[line(attributes={"childrens": True})])
    assert (result["jurisdiction"], result["scheme"], result["lines"][0]["rate"]) == ("XI", "OSS_UNION", "0")


@pytest.mark.parametrize(("day", "kwargs"), [
    ("2021-06-30", {"registrations": [IOSS_DE]}),
    ("2021-06-30", {"ship_from": "FR", "established": "FR"}),
    ("2020-12-31", {"ship_from": "DE", "established": "DE"}),
])
def test_dates_before_the_encoded_rules_are_refused(day: str, kwargs: dict) -> None:
    with pytest.raises(TaxInputError) as error:
        q(date=day, **kwargs)
    assert (error.value.code, error.value.path) == ("DATE_OUT_OF_RANGE", "date")


def test_ireland_standard_rate_back_to_23_on_2021_03_01_for_domestic_supplies() -> None:
    before = q(date="2021-02-28", ship_from="IE", established="IE", ship_to="IE", postal_code="D02",
               lines=[line(hs_code="847130", unit_price="100.00")])
    after = q(date="2021-03-01", ship_from="IE", established="IE", ship_to="IE", postal_code="D02",
              lines=[line(hs_code="847130", unit_price="100.00")])
    assert (before["tax_total"], after["tax_total"]) == ("21.00", "23.00")


def test_excise_goods_cannot_use_ioss() -> None:
    result = q(registrations=[IOSS_DE], lines=[line(hs_code="220421", unit_price="20.00")])
    assert result["scheme"] == "IMPORT_AT_BORDER"
    assert "IOSS excludes excise goods" in result["explanation"][0]


def test_goods_from_the_canary_islands_are_imports_into_the_vat_area() -> None:
    result = q(ship_from="ES", from_postal_code="35001", established="ES", ship_to="ES", postal_code="28001")
    assert result["scheme"] == "IMPORT_AT_BORDER"


@pytest.mark.parametrize(("country", "region", "name"), [
    ("ES", "CN", "Canary Islands"), ("ES", "TF", "Canary Islands"), ("ES", "CE", "Ceuta"), ("FI", "01", "Åland Islands"),
    ("FR", "974", "Réunion"), ("GR", "69", "Mount Athos"), ("AX", None, "Åland Islands"), ("GP", None, "Guadeloupe"),
    ("RE", None, "Réunion"),
])
def test_territories_by_region_or_own_country_code(country: str, region: str | None, name: str) -> None:
    body = request(ship_to=country, postal_code=None, registrations=[IOSS_DE])
    body["ship_to"]["region"] = region
    result = quote_from_json(body)
    assert (result["scheme"], result["tax_total"]) == ("OUT_OF_SCOPE", "0.00")
    assert result["explanation"][0].startswith(f"{name} (")


def test_great_britain_to_northern_ireland_is_a_domestic_uk_supply() -> None:
    result = q(ship_from="GB", from_postal_code="M1 1AA", established="GB", ship_to="GB", postal_code="BT1 1AA",
               currency="GBP", lines=[line(unit_price="100.00")])
    assert (result["jurisdiction"], result["scheme"], result["tax_total"], result["warnings"]) == ("XI", "DOMESTIC",
                                                                                                  "20.00", [])
