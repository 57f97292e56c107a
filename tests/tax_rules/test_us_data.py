"""The shipped US and SEA/ANZ rule tables load and validate; broken copies fail with the file and the row."""

from __future__ import annotations

import shutil
import time
from datetime import date
from pathlib import Path

import pytest

from tax_rules.errors import RulesDataError
from tax_rules.gst_common import load_gst_rules
from tax_rules.nexus_rules import load_nexus_rules
from tax_rules.us_data import load_us_rules

DATA = Path(__file__).resolve().parents[2] / "tax_rules" / "data"


def test_shipped_tables_load_quickly_and_cover_every_state() -> None:
    started = time.perf_counter()
    us = load_us_rules(DATA)
    gst = load_gst_rules(DATA)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5  # the whole engine's budget is 200 ms; these tables are a small part of it
    assert len(us.state_rates.keys()) == 51 and set(us.state_rates.keys()) == set(us.nexus.keys())
    for state in us.state_rates.keys():
        assert us.state_rates.on(state, date(2021, 1, 1)) is not None
        assert us.nexus.on(state, date(2026, 11, 27)) is not None
    assert {key[0] for key in gst.rates.keys()} == {"SG", "MY", "TH", "ID", "PH", "VN", "AU", "NZ"}


def broken_copy(tmp_path: Path, relative: str, old: str, new: str) -> Path:
    root = tmp_path / "data"
    shutil.copytree(DATA, root)
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return root


@pytest.mark.parametrize(("relative", "old", "new", "file", "message"), [
    ("us/state_rates.csv", "LA,5,2025-01-01", "LA,5,2024-12-01", "us/state_rates.csv", "overlaps the row"),
    ("us/state_rates.csv", "LA,5,2025-01-01", "LA,5,2025-01-02", "us/state_rates.csv", "gap between 2024-12-31"),
    ("us/state_rates.csv", "LA,5,2025-01-01", "LA,five,2025-01-01", "us/state_rates.csv", "rate 'five' is not a number"),
    ("us/product_rules.csv", "NY,clothing,exempt_below", "NY,clothing,exempt_sometimes", "us/product_rules.csv",
     "unknown rule 'exempt_sometimes'"),
    ("us/product_rules.csv", "MA,clothing,exempt_up_to,,175", "MA,clothing,exempt_up_to,,", "us/product_rules.csv",
     "amount is required"),
    ("us/product_rules.csv", "PA,clothing", "PA,clothes", "us/product_rules.csv", "unknown category 'clothes'"),
    ("us/shipping_rules.csv", "HI,ALWAYS_TAXABLE", "HI,SOMETIMES", "us/shipping_rules.csv", "unknown rule 'SOMETIMES'"),
    ("us/nexus_thresholds.csv", "IL,100000,,sales_only", "IL,100000,,sales_or_transactions",
     "us/nexus_thresholds.csv", "needs a transactions count"),
    ("us/nexus_thresholds.csv", "preceding_12_months_at_quarter_end,2026-01-01", "last_fortnight,2026-01-01",
     "us/nexus_thresholds.csv", "unknown period 'last_fortnight'"),
])
def test_broken_us_tables_fail_with_file_and_row(tmp_path: Path, relative: str, old: str, new: str, file: str,
                                                  message: str) -> None:
    root = broken_copy(tmp_path, relative, old, new)
    with pytest.raises(RulesDataError) as err:
        load_us_rules(root)
    assert err.value.file == file and isinstance(err.value.row, int)
    assert message in str(err.value)


def _unquoted_comma(tmp_path: Path) -> Path:
    """AL is the second data row (row 3 of the file, after the header and AK)."""
    return broken_copy(tmp_path, "us/state_rates.csv", "AL,4,2021-01-01,,", "AL,4,2021-01-01,,extra, field,")


def test_unquoted_comma_is_reported_on_its_row(tmp_path: Path) -> None:
    with pytest.raises(RulesDataError, match=r"us/state_rates.csv row 3: more fields than the header"):
        load_us_rules(_unquoted_comma(tmp_path))


def test_missing_table_is_a_load_error(tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(DATA, root)
    (root / "us" / "shipping_rules.csv").unlink()
    with pytest.raises(RulesDataError, match="us/shipping_rules.csv: cannot read"):
        load_us_rules(root)


@pytest.mark.parametrize(("relative", "old", "new", "message"), [
    ("sea_anz/rates.csv", "SG,standard,8,1,2023-01-01", "SG,standard,8,1,2022-12-01", "overlaps the row"),
    ("sea_anz/rates.csv", "ID,standard,12,11/12", "ID,standard,12,13/12", "base_fraction must not exceed 1"),
    ("sea_anz/rates.csv", "ID,standard,12,11/12", "ID,standard,12,11/0", "is not a number or fraction"),
    ("sea_anz/regimes.csv", "SG,lvg,400", "SG,lvgg,400", "unknown regime 'lvgg'"),
    ("sea_anz/category_rules.csv", "AU,food,exempt", "AU,groceries,exempt", "unknown category 'groceries'"),
    ("sea_anz/vn_reduction_exclusions.csv", "8471,", "84x1,", "hs_prefix must be digits"),
])
def test_broken_sea_anz_tables_fail_with_file_and_row(tmp_path: Path, relative: str, old: str, new: str,
                                                      message: str) -> None:
    with pytest.raises(RulesDataError) as err:
        load_gst_rules(broken_copy(tmp_path, relative, old, new))
    assert err.value.file == relative and isinstance(err.value.row, int) and message in str(err.value)


def test_nexus_table_is_continuous_per_state(tmp_path: Path) -> None:
    root = broken_copy(tmp_path, "us/nexus_thresholds.csv", "2026-01-01,,", "2026-01-02,,")
    with pytest.raises(RulesDataError, match="gap between 2025-12-31"):
        load_nexus_rules(root)
