"""US local rate tables: the documented CSV format, lookups by ZIP and ZIP+4 with dates, quotes with one component
per level, the bundled sample table, and bad tables failing at load time with the file and the row."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import tax_rules
from tax_rules.convert import request_from_json
from tax_rules.errors import RulesDataError, TaxInputError
from tax_rules.present import quote_to_json
from tax_rules.us_local import (
    LocalRateTable, load_local_rates, parse_local_rates, register_local_rates, registered_local_rates,
)

from .test_us_quote import us_request

HEADER = "zip_from,zip_to,state,county,county_rate,city,city_rate,district,district_rate,valid_from,valid_to,source\n"
TABLE = HEADER + (
    "90001,90099,CA,Los Angeles County,0.25,Los Angeles,0,LA districts,2.25,2021-01-01,2024-12-31,test source A\n"
    "90001,90099,CA,Los Angeles County,0.25,Los Angeles,0,LA districts,2.5,2025-01-01,,test source B\n"
    "90012-0001,90012-0500,CA,Los Angeles County,0.25,Los Angeles,0,Special district,3.0,2021-01-01,,test source C\n"
)


def quote_with(body: dict[str, Any], table: LocalRateTable | str) -> dict[str, Any]:
    """Quote with `local_rates` on the request (a table object or a registered name)."""
    request = dataclasses.replace(request_from_json(body), local_rates=table)
    return quote_to_json(tax_rules.quote(request))


def test_lookup_by_zip_and_date() -> None:
    table = parse_local_rates(TABLE, file="t.csv")
    assert table.lookup("CA", "90005", date(2024, 12, 31)).total == Decimal("2.50")  # type: ignore[union-attr]
    assert table.lookup("CA", "90005", date(2025, 1, 1)).total == Decimal("2.75")  # type: ignore[union-attr]
    assert table.lookup("CA", "90100", date(2025, 1, 1)) is None
    assert table.lookup("NV", "90005", date(2025, 1, 1)) is None  # the row is for CA


def test_zip_plus_4_row_wins_over_the_5_digit_row() -> None:
    table = parse_local_rates(TABLE, file="t.csv")
    assert table.lookup("CA", "90012-0100", date(2025, 1, 1)).total == Decimal("3.25")  # type: ignore[union-attr]
    assert table.lookup("CA", "900120100", date(2025, 1, 1)).total == Decimal("3.25")  # type: ignore[union-attr]
    assert table.lookup("CA", "90012-0501", date(2025, 1, 1)).total == Decimal("2.75")  # type: ignore[union-attr]
    assert table.lookup("CA", "90012", date(2025, 1, 1)).total == Decimal("2.75")  # type: ignore[union-attr]


def test_quote_carries_one_component_per_level_and_the_rate_is_their_sum() -> None:
    table = parse_local_rates(TABLE, file="t.csv")
    body = us_request("CA", [{"category": "general", "unit_price": "100.00"}], postal_code="90005")
    result = quote_with(body, table)
    line = result["lines"][0]
    assert [(c["level"], c["rate"], c["tax_amount"]) for c in line["components"]] == [
        ("state", "7.25", "7.25"), ("county", "0.25", "0.25"), ("city", "0", "0.00"), ("district", "2.5", "2.50")]
    assert (line["rate"], line["tax_amount"]) == ("10", "10.00")
    assert not any("local tax is not included" in w for w in result["warnings"])


def test_zip_missing_from_the_table_warns() -> None:
    table = parse_local_rates(TABLE, file="t.csv")
    result = quote_with(us_request("CA", [{"category": "general", "unit_price": "100.00"}], postal_code="94103"),
                        table)
    assert result["lines"][0]["rate"] == "7.25"
    assert any("has no CA row for ZIP 94103" in w for w in result["warnings"])


def test_exempt_clothing_stays_exempt_at_every_level() -> None:
    table = registered_local_rates("sample")
    body = us_request("PA", [{"category": "clothing", "unit_price": "50.00"},
                             {"category": "general", "unit_price": "100.00"}], postal_code="19103")
    result = quote_with(body, table)
    assert [(l["scheme"], l["rate"], l["tax_amount"]) for l in result["lines"]] == [
        ("EXEMPT", "0", "0.00"), ("US_SALES_TAX", "8", "8.00")]


@pytest.mark.parametrize(("state", "zip_code", "rate", "tax"), [
    ("NY", "10013", "8.875", "8.88"), ("IL", "60601", "10.25", "10.25"), ("PA", "15213", "7", "7.00"),
    ("PA", "17101", "6", "6.00")])
def test_bundled_sample_table_by_name(state: str, zip_code: str, rate: str, tax: str) -> None:
    body = us_request(state, [{"category": "general", "unit_price": "100.00"}], postal_code=zip_code)
    line = quote_with(body, "sample")["lines"][0]
    assert (line["rate"], line["tax_amount"]) == (rate, tax)


def test_ny_local_tax_applies_to_state_exempt_clothing_with_a_warning() -> None:
    body = us_request("NY", [{"category": "clothing", "unit_price": "80.00"}], postal_code="12207")
    table = parse_local_rates(HEADER + "12201,12288,NY,Albany County,4,,0,,0,2021-01-01,,test\n", file="ny.csv")
    result = quote_with(body, table)
    line = result["lines"][0]
    assert [(c["level"], c["tax_amount"]) for c in line["components"]] == [("county", "3.20")]
    assert any("localities decide themselves" in w for w in result["warnings"])


def test_registry_unknown_name_is_an_input_error() -> None:
    with pytest.raises(TaxInputError) as err:
        registered_local_rates("no-such-table")
    assert (err.value.code, err.value.path) == ("INVALID_FIELD", "local_rates")


def test_register_and_load_a_shop_table_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "shop.csv"
    path.write_text(TABLE, encoding="utf-8")
    table = load_local_rates(path)
    register_local_rates("shop-test", table)
    assert registered_local_rates("shop-test") is table and len(table) == 3


@pytest.mark.parametrize(("row", "row_number", "message"), [
    ("9000,90099,CA,C,1,,0,,0,2021-01-01,,s", 2, "zip_from '9000' is not a ZIP"),
    ("90001,90012-0001,CA,C,1,,0,,0,2021-01-01,,s", 2, "both be 5-digit ZIPs or both ZIP+4"),
    ("90099,90001,CA,C,1,,0,,0,2021-01-01,,s", 2, "zip_to 90001 is before zip_from 90099"),
    ("90001,90099,California,C,1,,0,,0,2021-01-01,,s", 2, "is not a two-letter US state code"),
    ("90001,90099,CA,C,abc,,0,,0,2021-01-01,,s", 2, "county_rate 'abc' is not a decimal percent"),
    ("90001,90099,CA,C,120,,0,,0,2021-01-01,,s", 2, "must be a percent between 0 and 100"),
    ("90001,90099,CA,,1,,0,,0,2021-01-01,,s", 2, "county_rate 1 has no county name"),
    ("90001,90099,CA,C,1,,0,,0,2021-13-01,,s", 2, "valid_from '2021-13-01' is not an ISO date"),
    ("90001,90099,CA,C,1,,0,,0,2021-01-01,,", 2, "source is empty"),
    ("90001,90099,CA,C,1,,0,,0,2021-01-01,,DOR, page 2", 2, "more fields than the header"),
    ("90001,90099,CA,C,1,,0,,0,2021-01-01", 2, "missing column(s) valid_to, source"),
    ("90001,90099,CA,C,1,,0,,0,2021-01-01,,s\n90050,90150,CA,C,1,,0,,0,2021-01-01,,s", 3,
     "ZIP range 90050..90150 overlaps the range 90001..90099"),
    ("90001,90099,CA,C,1,,0,,0,2021-01-01,,s\n90001,90099,CA,C,2,,0,,0,2024-01-01,,s", 3, "overlaps the row 2"),
])
def test_bad_table_fails_with_file_and_row(row: str, row_number: int, message: str) -> None:
    with pytest.raises(RulesDataError) as err:
        parse_local_rates(HEADER + row + "\n", file="shop-rates.csv")
    assert (err.value.file, err.value.row) == ("shop-rates.csv", row_number)
    assert message in str(err.value) and str(err.value).startswith(f"shop-rates.csv row {row_number}:")


def test_bad_header_and_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(RulesDataError, match=r"bad\.csv row 1: header lacks column\(s\) source"):
        parse_local_rates(HEADER.replace(",source", "") + "90001,90099,CA,C,1,,0,,0,2021-01-01,\n", file="bad.csv")
    with pytest.raises(RulesDataError, match="cannot read the file"):
        load_local_rates(tmp_path / "missing.csv")
    with pytest.raises(RulesDataError, match="has no rows"):
        parse_local_rates(HEADER, file="empty.csv")


def test_alaska_has_no_state_tax_but_a_registered_seller_collects_local_tax() -> None:
    table = parse_local_rates(HEADER + "99801,99811,AK,,0,Juneau,5,,0,2021-01-01,,City and Borough of Juneau\n",
                              file="ak.csv")
    juneau = us_request("AK", [{"category": "general", "unit_price": "100.00"}], postal_code="99801")
    result = quote_with(juneau, table)
    assert (result["scheme"], result["tax_total"]) == ("US_SALES_TAX", "5.00")
    assert [(c["level"], c["name"], c["rate"]) for c in result["lines"][0]["components"]] == [
        ("city", "Juneau city tax", "5")]
    unregistered = us_request("AK", [{"category": "general", "unit_price": "100.00"}], postal_code="99801",
                              registered=("CA",))
    assert quote_with(unregistered, table)["scheme"] == "NO_NEXUS"
    anchorage = us_request("AK", [{"category": "general", "unit_price": "100.00"}], postal_code="99501")
    assert quote_with(anchorage, table)["scheme"] == "OUT_OF_SCOPE"


def test_validate_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tax_rules.us_local import main

    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(TABLE, encoding="utf-8")
    bad.write_text(TABLE + "90050,90150,CA,C,1,,0,,0,2021-01-01,,s\n", encoding="utf-8")
    assert main([str(good)]) == 0
    assert '"rows": 3' in capsys.readouterr().out
    assert main([str(bad)]) == 2
    out = capsys.readouterr().out
    assert '"row": 5' in out and "overlaps the range 90001..90099" in out


def test_json_request_names_a_registered_table() -> None:
    body = us_request("NY", [{"category": "general", "unit_price": "100.00"}], postal_code="10013")
    body["local_rates"] = "sample"
    line = tax_rules.quote_from_json(body)["lines"][0]
    assert (line["rate"], line["tax_amount"]) == ("8.875", "8.88")
    body["local_rates"] = "nope"
    with pytest.raises(TaxInputError) as err:
        tax_rules.quote_from_json(body)
    assert (err.value.code, err.value.path) == ("INVALID_FIELD", "local_rates")
