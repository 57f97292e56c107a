"""categories.py (HS → category) and dated.py (validated dated tables)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tax_rules import dispatch
from tax_rules.categories import Categoriser, load_hs_table, normalise_hs
from tax_rules.dated import DatedRow, DatedTable, rows_from_records
from tax_rules.errors import RulesDataError, TaxInputError
from tax_rules.model import Category, Line
from tax_rules.vat_tables import VatTables

D = date(2026, 3, 1)
CATEGORISER = Categoriser(load_hs_table(dispatch.DATA_DIR))


def decide(hs: str | None, category: Category | None = None, **attributes) -> tuple[str, str]:
    result = CATEGORISER.decide(Line(id="1", unit_price=Decimal(1), quantity=1, hs_code=hs, category=category,
                                     attributes=attributes), D)
    return result.category.value, result.decided_by


@pytest.mark.parametrize(("hs", "expected"), [
    ("610910", "clothing"), ("611120", "childrens_clothing"), ("620920", "childrens_clothing"),
    ("640299", "clothing"), ("650500", "clothing"), ("611610", "general"), ("490199", "books"),
    ("490300", "books"), ("490210", "general"), ("190590", "food"), ("170490", "general"), ("180690", "general"),
    ("220300", "general"), ("240220", "general"), ("300490", "medical"), ("901890", "medical"),
    ("900130", "medical"), ("961900", "sanitary_hygiene"), ("847130", "general"), ("0401201000", "food"),
])
def test_hs_to_category(hs: str, expected: str) -> None:
    assert decide(hs)[0] == expected


def test_attributes_refine_what_hs_cannot_decide() -> None:
    assert decide("610910", childrens=True) == ("childrens_clothing", "hs_code+attribute")
    assert decide("190590", confectionery=True) == ("general", "hs_code+attribute")
    assert decide("300490", prescription=True) == ("medical", "hs_code")


def test_explicit_category_wins_and_no_hs_defaults_to_general() -> None:
    assert decide("610910", Category.DIGITAL) == ("digital", "category")
    assert decide(None) == ("general", "default")


@pytest.mark.parametrize(("raw", "digits"), [("610910", "610910"), ("6109.10", "610910"),
                                             ("6109.10.00.90", "6109100090"), ("0401 20 10", "04012010")])
def test_hs_normalisation(raw: str, digits: str) -> None:
    assert normalise_hs(raw, "p") == digits


@pytest.mark.parametrize("raw", ["61091", "61091000001", "6109AB", "000000", "770000", "990000", ""])
def test_hs_rejections(raw: str) -> None:
    with pytest.raises(TaxInputError) as error:
        normalise_hs(raw, "lines[0].hs_code")
    assert (error.value.code, error.value.path) == ("INVALID_HS_CODE", "lines[0].hs_code")


def rows(*periods: tuple[str, str | None], key: str = "k") -> list[DatedRow[int]]:
    records = [{"k": key, "valid_from": f, "valid_to": t or "", "source": "s"} for f, t in periods]
    return rows_from_records(records, file="t.csv", key_fields=("k",), value_of=lambda r, n: n, first_row=2)


def test_dated_lookup_edges() -> None:
    table = DatedTable(rows(("2021-01-01", "2023-12-31"), ("2024-01-01", None)), name="t", continuous=True)
    assert table.on("k", date(2020, 12, 31)) is None
    assert table.on("k", date(2023, 12, 31)).value == 2  # type: ignore[union-attr]
    assert table.on("k", date(2024, 1, 1)).value == 3  # type: ignore[union-attr]
    assert table.on("k", date(2099, 1, 1)).value == 3  # type: ignore[union-attr]
    assert table.on("other", date(2024, 1, 1)) is None


def test_overlap_is_a_load_error_naming_file_and_row() -> None:
    with pytest.raises(RulesDataError) as error:
        DatedTable(rows(("2021-01-01", "2024-01-01"), ("2024-01-01", None)), name="t")
    assert (error.value.file, error.value.row) == ("t.csv", 3)
    assert "overlaps" in str(error.value)


def test_gap_is_a_load_error_where_the_table_is_continuous() -> None:
    periods = (("2021-01-01", "2023-12-30"), ("2024-01-01", None))
    DatedTable(rows(*periods), name="t")  # fine where gaps are allowed
    with pytest.raises(RulesDataError) as error:
        DatedTable(rows(*periods), name="t", continuous=True)
    assert (error.value.row, "gap" in str(error.value)) == (3, True)


def test_open_row_followed_by_another_is_an_overlap_and_inverted_dates_fail() -> None:
    with pytest.raises(RulesDataError):
        DatedTable(rows(("2021-01-01", None), ("2024-01-01", None)), name="t")
    with pytest.raises(RulesDataError) as error:
        DatedTable(rows(("2024-01-01", "2023-01-01")), name="t")
    assert "before valid_from" in str(error.value)


def _write_area(tmp: Path, rates: str, rules: str) -> Path:
    (tmp / "x").mkdir()
    (tmp / "x" / "rates.csv").write_text("country,rate_type,rate,valid_from,valid_to,source\n" + rates)
    (tmp / "x" / "category_rates.csv").write_text(
        "country,category,rate_type,hs_prefixes,condition,valid_from,valid_to,source\n" + rules)
    (tmp / "x" / "thresholds.csv").write_text("name,amount,currency,valid_from,valid_to,source\n")
    return tmp


def test_unknown_category_in_data_is_a_load_error(tmp_path: Path) -> None:
    data = _write_area(tmp_path, "DE,standard,19,2021-01-01,,s\nDE,reduced,7,2021-01-01,,s\n",
                       "DE,food,reduced,,,2021-01-01,,s\nDE,toys,reduced,,,2021-01-01,,s\n")
    with pytest.raises(RulesDataError) as error:
        VatTables(data, "x")
    assert (error.value.file, error.value.row) == ("x/category_rates.csv", 3)
    assert "unknown category 'toys'" in str(error.value)


def test_gap_in_standard_rates_is_a_load_error(tmp_path: Path) -> None:
    data = _write_area(tmp_path, "DE,standard,19,2021-01-01,2021-12-30,s\nDE,standard,20,2022-01-01,,s\n", "")
    with pytest.raises(RulesDataError) as error:
        VatTables(data, "x")
    assert (error.value.file, error.value.row) == ("x/rates.csv", 3)


def test_rule_pointing_at_a_missing_rate_type_is_a_load_error(tmp_path: Path) -> None:
    data = _write_area(tmp_path, "DE,standard,19,2021-01-01,,s\n", "DE,food,reduced,,,2021-01-01,,s\n")
    with pytest.raises(RulesDataError) as error:
        VatTables(data, "x")
    assert "rate type 'reduced' has no rate for DE" in str(error.value)


def test_every_shipped_data_file_loads() -> None:
    import tax_rules

    loaded = tax_rules.load_all_rules()
    assert {"eu", "uk"} <= set(loaded)
    assert len(loaded["eu"].eu.countries()) == 27
