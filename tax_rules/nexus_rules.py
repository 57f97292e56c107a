"""US economic nexus: does a remote seller's sales history into a state reach that state's threshold on a date?

Rules are `data/us/nexus_thresholds.csv`: per state and period the dollar amount, the transaction count, the test
(`sales_only`, `sales_or_transactions`, `sales_and_transactions`, or `none` where the state has no sales tax or no
economic-nexus law yet), the comparison (`gte` "or more", `gt` "more than") and the measurement period. The row
valid on the request `date` decides, so a dropped 200-transaction test counts from its date on (IL 2026-01-01).

Measurement periods (windows) as of `date`:

| period code | window(s) |
|---|---|
| previous_or_current_calendar_year | previous calendar year; current calendar year to date (either suffices) |
| previous_calendar_year | previous calendar year |
| preceding_12_months_at_quarter_end | 12 months ending with the last calendar quarter completed before `date` |
| preceding_4_calendar_quarters | the four calendar quarters completed before `date` |
| preceding_12_calendar_months | the 12 calendar months before the month of `date` |
| preceding_4_ny_sales_tax_quarters | NY sales-tax quarters (Mar-May, Jun-Aug, Sep-Nov, Dec-Feb): the four before `date`'s |
| twelve_months_ending_sep_30 | 1 Oct..30 Sep ending on the last 30 September before `date` |

A history period counts in full toward a window when it lies inside it (for the current calendar year: inside that
year and started on or before `date`, so a year-to-date total counts). A period that straddles a window edge counts
in proportion to its days inside the window (sales and transactions spread evenly), and the answer warns that this is
an estimate: monthly history gives an exact test. Overlapping history periods are an input error (double counting).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from .dated import DatedTable, rows_from_records
from .errors import RulesDataError
from .us_data import choice, decimal_field, read_csv

TESTS = ("sales_only", "sales_or_transactions", "sales_and_transactions", "none")
PERIODS = ("previous_or_current_calendar_year", "previous_calendar_year", "preceding_12_months_at_quarter_end",
           "preceding_4_calendar_quarters", "preceding_12_calendar_months", "preceding_4_ny_sales_tax_quarters",
           "twelve_months_ending_sep_30")
FILE = "us/nexus_thresholds.csv"


@dataclass(frozen=True, slots=True)
class Threshold:
    sales: Decimal | None
    transactions: int | None
    test: str
    comparison: str
    period: str | None
    dropped: str
    note: str


NexusRules = DatedTable[Threshold]


def _threshold(record: dict[str, str], row: int) -> Threshold:
    test = choice(record, "test", TESTS, FILE, row)
    sales = decimal_field(record, "sales", FILE, row, required=test != "none")
    tx_text = (record.get("transactions") or "").strip()
    if test in ("sales_or_transactions", "sales_and_transactions") and not tx_text:
        raise RulesDataError(FILE, row, f"test {test} needs a transactions count")
    if test in ("sales_only", "none") and tx_text:
        raise RulesDataError(FILE, row, f"test {test} must not carry a transactions count")
    if tx_text and not tx_text.isdigit():
        raise RulesDataError(FILE, row, f"transactions {tx_text!r} is not a whole number")
    period = None if test == "none" else choice(record, "period", PERIODS, FILE, row)
    comparison = choice(record, "comparison", ("gte", "gt"), FILE, row)
    return Threshold(sales, int(tx_text) if tx_text else None, test, comparison, period,
                     (record.get("transaction_test_dropped") or "").strip(), (record.get("note") or "").strip())


def load_nexus_rules(data_dir: Path) -> NexusRules:
    rows = rows_from_records(read_csv(Path(data_dir), FILE), file=FILE, key_fields=("state",), value_of=_threshold,
                             first_row=2)
    return DatedTable(rows, name="US economic nexus threshold", continuous=True)


_default_rules: NexusRules | None = None


def default_rules() -> NexusRules:
    global _default_rules
    if _default_rules is None:
        _default_rules = load_nexus_rules(Path(__file__).resolve().parent / "data")
    return _default_rules


# ------------------------------------------------------------------------------------------------- windows


def _month_start(year: int, month: int) -> date:
    while month < 1:
        month, year = month + 12, year - 1
    while month > 12:
        month, year = month - 12, year + 1
    return date(year, month, 1)


def _twelve_months_ending(end: date) -> tuple[date, date]:
    start = _month_start(end.year, end.month - 11)
    return start, end


@dataclass(frozen=True, slots=True)
class Window:
    label: str
    start: date
    end: date
    to_date: date  # the last day that can hold history (date itself for the current year)


def windows(period: str, on: date) -> list[Window]:
    """The measurement window(s) of `period` as of `on` (see the module docstring)."""
    year = on.year
    previous = Window(f"previous calendar year {year - 1}", date(year - 1, 1, 1), date(year - 1, 12, 31),
                      date(year - 1, 12, 31))
    if period == "previous_calendar_year":
        return [previous]
    if period == "previous_or_current_calendar_year":
        return [previous, Window(f"current calendar year {year} to date", date(year, 1, 1), date(year, 12, 31), on)]
    if period in ("preceding_12_months_at_quarter_end", "preceding_4_calendar_quarters"):
        end = _month_start(year, (on.month - 1) // 3 * 3 + 1) - timedelta(days=1)
        start, end = _twelve_months_ending(end)
        label = ("12 months ending with the last completed calendar quarter"
                 if period.startswith("preceding_12") else "four preceding calendar quarters")
        return [Window(label, start, end, end)]
    if period == "preceding_12_calendar_months":
        start, end = _twelve_months_ending(date(year, on.month, 1) - timedelta(days=1))
        return [Window("12 calendar months before the month of the date", start, end, end)]
    if period == "preceding_4_ny_sales_tax_quarters":
        offset = (on.month - 3) % 3  # NY quarters start in Mar, Jun, Sep, Dec
        end = _month_start(year, on.month - offset) - timedelta(days=1)
        start, end = _twelve_months_ending(end)
        return [Window("four preceding NY sales-tax quarters", start, end, end)]
    if period == "twelve_months_ending_sep_30":
        end = date(year if on.month >= 10 else year - 1, 9, 30)
        return [Window("12 months ending 30 September", date(end.year - 1, 10, 1), end, end)]
    raise ValueError(period)


