"""EU VAT rates by date and category: both sides of every change encoded in tax_rules/data/eu."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tax_rules import quote_from_json

from .builders import IOSS_DE, line, request


def rate_on(country: str, day: str, hs: str | None = "847130", category: str | None = None,
            attributes: dict | None = None, postal_code: str = "00001") -> tuple[Decimal, Decimal]:
    """(rate, tax on a net 100.00 line) for an IOSS import into `country` on `day`."""
    item = line(hs_code=hs, unit_price="100.00", category=category, attributes=attributes or {})
    result = quote_from_json(request(date=day, ship_to=country, postal_code=postal_code, registrations=[IOSS_DE],
                                     lines=[item]))
    assert result["scheme"] == "IOSS"
    return Decimal(result["lines"][0]["rate"]), Decimal(result["lines"][0]["tax_amount"])


CHANGES = [
    # (case, country, hs, category, attributes, last day before, rate before, first day after, rate after)
    ("EE_standard_22", "EE", "847130", None, None, "2023-12-31", "20", "2024-01-01", "22"),
    ("EE_standard_24", "EE", "847130", None, None, "2025-06-30", "22", "2025-07-01", "24"),
    ("FI_standard", "FI", "847130", None, None, "2024-08-31", "24", "2024-09-01", "25.5"),
    ("FI_books_10_to_14", "FI", "490199", None, None, "2024-12-31", "10", "2025-01-01", "14"),
    ("FI_books_14_to_13_5", "FI", "490199", None, None, "2025-12-31", "14", "2026-01-01", "13.5"),
    ("FI_food_14_to_13_5", "FI", "190590", None, None, "2025-12-31", "14", "2026-01-01", "13.5"),
    ("FI_medicine_10_to_14", "FI", "300490", None, None, "2024-12-31", "10", "2025-01-01", "14"),
    ("FI_sanitary_std_to_13_5", "FI", "961900", None, None, "2025-12-31", "25.5", "2026-01-01", "13.5"),
    ("SK_standard", "SK", "847130", None, None, "2024-12-31", "20", "2025-01-01", "23"),
    ("SK_books", "SK", "490199", None, None, "2024-12-31", "10", "2025-01-01", "5"),
    ("SK_other_food", "SK", "210690", None, None, "2024-12-31", "20", "2025-01-01", "19"),
    ("SK_basic_food", "SK", "190590", None, None, "2024-12-31", "10", "2025-01-01", "5"),
    ("RO_standard", "RO", "847130", None, None, "2025-07-31", "19", "2025-08-01", "21"),
    ("RO_books", "RO", "490199", None, None, "2025-07-31", "5", "2025-08-01", "11"),
    ("RO_food", "RO", "190590", None, None, "2025-07-31", "9", "2025-08-01", "11"),
    ("CZ_books", "CZ", "490199", None, None, "2023-12-31", "10", "2024-01-01", "0"),
    ("CZ_food", "CZ", "190590", None, None, "2023-12-31", "15", "2024-01-01", "12"),
    ("CZ_prescription", "CZ", "300490", None, {"prescription": True}, "2025-12-31", "12", "2026-01-01", "0"),
    ("LU_standard_16", "LU", "847130", None, None, "2022-12-31", "17", "2023-01-01", "16"),
    ("LU_standard_17", "LU", "847130", None, None, "2023-12-31", "16", "2024-01-01", "17"),
    ("SE_food_6", "SE", "190590", None, None, "2026-03-31", "12", "2026-04-01", "6"),
    ("SE_food_back_12", "SE", "190590", None, None, "2027-12-31", "6", "2028-01-01", "12"),
    ("AT_basket_milk", "AT", "040120", None, None, "2026-06-30", "10", "2026-07-01", "4.9"),
    ("AT_basket_pasta", "AT", "190219", None, None, "2026-06-30", "10", "2026-07-01", "4.9"),
    ("AT_books", "AT", "490199", None, None, "2021-12-31", "5", "2022-01-01", "10"),
    ("ES_basic_food_0_to_2", "ES", "190590", None, None, "2024-09-30", "0", "2024-10-01", "2"),
    ("ES_basic_food_2_to_4", "ES", "190590", None, None, "2024-12-31", "2", "2025-01-01", "4"),
    ("ES_pasta_5_to_7_5", "ES", "190219", None, None, "2024-09-30", "5", "2024-10-01", "7.5"),
    ("ES_olive_oil_5_to_0", "ES", "150920", None, None, "2024-06-30", "5", "2024-07-01", "0"),
    ("PL_food_0_to_5", "PL", "190590", None, None, "2024-03-31", "0", "2024-04-01", "5"),
    ("RO_high_sugar_food", "RO", "210690", None, {"high_sugar": True}, "2025-07-31", "9", "2025-08-01", "21"),
    ("SK_high_sugar_food", "SK", "210690", None, {"high_sugar": True}, "2025-12-31", "19", "2026-01-01", "23"),
    ("PT_iva_zero_end", "PT", "190590", None, None, "2023-10-31", "0", "2023-11-01", "6"),
]


@pytest.mark.parametrize(
    ("country", "hs", "category", "attributes", "before", "rate_before", "after", "rate_after"),
    [case[1:] for case in CHANGES], ids=[case[0] for case in CHANGES],
)
def test_rate_change_both_sides(country, hs, category, attributes, before, rate_before, after, rate_after) -> None:
    postal = "28001" if country == "ES" else "00001"
    assert rate_on(country, before, hs, category, attributes, postal)[0] == Decimal(rate_before)
    assert rate_on(country, after, hs, category, attributes, postal)[0] == Decimal(rate_after)


def test_tax_follows_the_rate_of_the_day() -> None:
    assert rate_on("FI", "2024-08-31") == (Decimal("24"), Decimal("24.00"))
    assert rate_on("FI", "2024-09-01") == (Decimal("25.5"), Decimal("25.50"))


@pytest.mark.parametrize(("country", "rate"), [("IE", "0"), ("LU", "3"), ("DE", "19"), ("FR", "20")])
def test_childrens_clothing_by_attribute(country: str, rate: str) -> None:
    assert rate_on(country, "2026-03-01", "610910", attributes={"childrens": True})[0] == Decimal(rate)


def test_adult_clothing_in_ireland_is_standard_rated() -> None:
    assert rate_on("IE", "2026-03-01", "610910") == (Decimal("23"), Decimal("23.00"))


def test_babies_garments_are_childrens_clothing_by_hs_alone() -> None:
    result = quote_from_json(request(ship_to="IE", registrations=[IOSS_DE], lines=[line(hs_code="611120")]))
    assert (result["lines"][0]["category"], result["lines"][0]["rate"]) == ("childrens_clothing", "0")


def test_explicit_category_wins_and_explanation_says_so() -> None:
    result = quote_from_json(request(ship_to="DE", registrations=[IOSS_DE],
                                     lines=[line(hs_code="610910", category="books")]))
    assert (result["lines"][0]["category"], result["lines"][0]["rate"]) == ("books", "7")
    assert result["lines"][0]["explanation"][0] == "category books given on the line (HS 610910 alone would give clothing)"


@pytest.mark.parametrize(("country", "books"), [
    ("DE", "7"), ("FR", "5.5"), ("IT", "4"), ("ES", "4"), ("NL", "9"), ("PL", "5"), ("FI", "13.5"), ("SE", "6"),
    ("IE", "0"), ("CZ", "0"), ("SK", "5"), ("RO", "11"), ("LU", "3"), ("DK", "25"),
])
def test_book_rates_on_2026_11_27_match_the_research_table(country: str, books: str) -> None:
    postal = "28001" if country == "ES" else "00001"
    assert rate_on(country, "2026-11-27", "490199", postal_code=postal)[0] == Decimal(books)


def test_every_member_state_has_a_standard_rate_from_2021_07_01() -> None:
    states = "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
    rates = {c: rate_on(c, "2021-07-01", postal_code="28001" if c == "ES" else "00001")[0] for c in states}
    assert rates == {
        "AT": 20, "BE": 21, "BG": 20, "HR": 25, "CY": 19, "CZ": 21, "DK": 25, "EE": 20, "FI": 24, "FR": 20,
        "DE": 19, "GR": 24, "HU": 27, "IE": 23, "IT": 22, "LV": 21, "LT": 21, "LU": 17, "MT": 18, "NL": 21,
        "PL": 23, "PT": 23, "RO": 19, "SK": 20, "SI": 22, "ES": 21, "SE": 25,
    }
