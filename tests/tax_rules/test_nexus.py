"""US economic nexus: thresholds with history (transaction tests dropped on their dates), AND/OR tests, the state's
own measurement period, strict input validation, and the contract's IL example."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from typing import Any

import pytest

from tax_rules.__main__ import main
from tax_rules.errors import TaxInputError
from tax_rules.nexus import nexus_from_json
from tax_rules.nexus_rules import windows


def period(start: str, end: str, sales: str, transactions: int | None = None) -> dict[str, Any]:
    return {"period_start": start, "period_end": end, "sales": sales, "transactions": transactions}


def check(region: str, on: str, history: list[dict[str, Any]]) -> dict[str, Any]:
    return nexus_from_json({"date": on, "region": region, "history": history})


def monthly(on: str, sales: str, transactions: int, months: int = 27) -> list[dict[str, Any]]:
    """`months` consecutive calendar months ending with the month of `on`, each with the same figures."""
    first = date.fromisoformat(on).replace(day=1)
    starts = []
    for _ in range(months):
        starts.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    out = []
    for start in reversed(starts):
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        out.append(period(start.isoformat(), end.isoformat(), sales, transactions))
    return out


def test_contract_example_il_after_dropping_the_transaction_test() -> None:
    result = check("US-IL", "2026-01-15", [period("2025-01-01", "2025-12-31", "60000.00", 250)])
    assert result["has_nexus"] is False
    assert result["threshold"] == {"sales": "100000.00", "transactions": None, "test": "sales_only",
                                   "period": "preceding_12_months_at_quarter_end", "comparison": "gte"}
    assert result["explanation"][0] == "IL dropped the 200-transaction test on 2026-01-01"
    assert result["explanation"][-1] == "no economic nexus in IL on 2026-01-15"


def test_il_before_the_drop_the_200_transactions_suffice() -> None:
    quarters = [period("2024-10-01", "2024-12-31", "15000", 60), period("2025-01-01", "2025-03-31", "15000", 60),
                period("2025-04-01", "2025-06-30", "15000", 60), period("2025-07-01", "2025-09-30", "15000", 70)]
    result = check("US-IL", "2025-12-15", quarters)
    assert result["has_nexus"] is True
    assert result["threshold"]["test"] == "sales_or_transactions" and result["threshold"]["transactions"] == 200
    assert result["explanation"][0] == "IL applies the 200-transaction test until 2025-12-31 (dropped on 2026-01-01)"
    assert [(w["start"], w["end"], w["sales"], w["transactions"]) for w in result["windows"]] == [
        ("2024-10-01", "2025-09-30", "60000.00", 250)]


def test_us_09_example_in_dropped_the_test_ga_kept_it() -> None:
    history = [period("2024-01-01", "2024-12-31", "90000", 300)]
    assert check("US-IN", "2025-01-15", history)["has_nexus"] is False
    assert check("US-GA", "2025-01-15", history)["has_nexus"] is True


@pytest.mark.parametrize(("state", "last_day_with_test", "drop_day"), [
    ("WI", "2021-02-19", "2021-02-20"), ("ME", "2021-12-31", "2022-01-01"), ("SD", "2023-06-30", "2023-07-01"),
    ("LA", "2023-07-31", "2023-08-01"), ("IN", "2023-12-31", "2024-01-01"), ("NC", "2024-06-30", "2024-07-01"),
    ("WY", "2024-06-30", "2024-07-01"), ("AK", "2024-12-31", "2025-01-01"), ("UT", "2025-06-30", "2025-07-01"),
    ("IL", "2025-12-31", "2026-01-01"),
])
def test_transaction_test_dropped_on_its_date(state: str, last_day_with_test: str, drop_day: str) -> None:
    # 2,000 a month and 20 orders a month: far below $100,000, but 240 orders in any 12 months
    before = check(f"US-{state}", last_day_with_test, monthly(last_day_with_test, "2000", 20))
    after = check(f"US-{state}", drop_day, monthly(drop_day, "2000", 20))
    assert (before["has_nexus"], before["threshold"]["test"]) == (True, "sales_or_transactions")
    assert (after["has_nexus"], after["threshold"]["test"]) == (False, "sales_only")
    assert after["explanation"][0] == f"{state} dropped the 200-transaction test on {drop_day}"


@pytest.mark.parametrize(("sales", "transactions", "expected"), [
    ("600000", 90, False), ("400000", 150, False), ("600000", 101, True), ("500000", 101, False), ("500000.01", 100, False)])
def test_ny_needs_both_more_than_500k_and_more_than_100(sales: str, transactions: int, expected: bool) -> None:
    # on 2026-03-15 the NY quarter is Mar-May 2026, so the window is the four quarters 2025-03-01..2026-02-28
    result = check("US-NY", "2026-03-15", [period("2025-03-01", "2026-02-28", sales, transactions)])
    assert result["has_nexus"] is expected
    assert result["threshold"]["test"] == "sales_and_transactions"


@pytest.mark.parametrize(("transactions", "expected"), [(199, False), (200, True)])
def test_ct_and_test_over_the_12_months_ending_september(transactions: int, expected: bool) -> None:
    result = check("US-CT", "2026-01-15", [period("2024-10-01", "2025-09-30", "150000", transactions)])
    assert result["has_nexus"] is expected
    assert (result["windows"][0]["start"], result["windows"][0]["end"]) == ("2024-10-01", "2025-09-30")


def test_or_state_current_year_counts() -> None:
    history = [period("2025-01-01", "2025-12-31", "50000", 50), period("2026-01-01", "2026-05-31", "120000", 90)]
    result = check("US-GA", "2026-06-01", history)
    assert result["has_nexus"] is True
    assert [w["meets_threshold"] for w in result["windows"]] == [False, True]


def test_previous_year_only_state_ignores_the_current_year() -> None:
    history = [period("2025-01-01", "2025-12-31", "50000"), period("2026-01-01", "2026-05-31", "120000")]
    assert check("US-PA", "2026-06-01", history)["has_nexus"] is False
    assert check("US-PA", "2027-01-02", history)["has_nexus"] is True  # 2026 is now the previous year


def test_preceding_12_calendar_months_texas() -> None:
    result = check("US-TX", "2026-03-15", monthly("2026-03-15", "45000", 10))
    assert (result["windows"][0]["start"], result["windows"][0]["end"]) == ("2025-03-01", "2026-02-28")
    assert result["windows"][0]["sales"] == "540000.00" and result["has_nexus"] is True


@pytest.mark.parametrize(("region", "sales", "expected"), [
    ("US-AL", "250000.00", False), ("US-AL", "250000.01", True), ("US-GA", "100000.00", True),
    ("US-GA", "99999.99", False), ("US-CA", "500000.00", False), ("US-CA", "500000.01", True)])
def test_more_than_versus_or_more(region: str, sales: str, expected: bool) -> None:
    assert check(region, "2026-02-01", [period("2025-01-01", "2025-12-31", sales, 0)])["has_nexus"] is expected


@pytest.mark.parametrize(("state", "before", "start"), [
    ("FL", "2021-06-30", "2021-07-01"), ("KS", "2021-06-30", "2021-07-01"), ("MO", "2022-12-31", "2023-01-01")])
def test_economic_nexus_laws_start_on_their_dates(state: str, before: str, start: str) -> None:
    history = monthly(start, "30000", 5, months=30)
    early = check(f"US-{state}", before, history)
    assert (early["has_nexus"], early["threshold"]["test"], early["threshold"]["period"]) == (False, "none", None)
    assert check(f"US-{state}", start, history)["has_nexus"] is True


@pytest.mark.parametrize("state", ["OR", "DE", "MT", "NH"])
def test_states_without_sales_tax_have_no_threshold(state: str) -> None:
    result = check(f"US-{state}", "2026-03-01", [period("2025-01-01", "2025-12-31", "9000000", 9000)])
    assert result["has_nexus"] is False and result["threshold"]["sales"] is None
    assert "no statewide sales tax" in result["explanation"][-1]


def test_straddling_period_counts_pro_rata_and_warns() -> None:
    # window 2024-10-01..2025-09-30: 273 of the 365 days of 2025 and 92 of the 366 days of 2024
    history = [period("2024-01-01", "2024-12-31", "36600", 0), period("2025-01-01", "2025-12-31", "109500", 365)]
    result = check("US-IL", "2025-12-15", history)
    window = result["windows"][0]
    assert (window["sales"], window["transactions"], window["periods"]) == ("91100.00", 273, 2)
    assert result["has_nexus"] is True  # 273 transactions >= 200 before IL dropped the count test
    assert any("history[1] (2025-01-01..2025-12-31) straddles the window 2024-10-01..2025-09-30: 74.8 %" in w
               for w in result["warnings"])


def test_calendar_year_history_for_ny_quarters_is_prorated() -> None:
    # 2025-01-15: window 2023-12-01..2024-11-30 holds 335 of the 366 days of 2024
    result = check("US-NY", "2025-01-15", [period("2024-01-01", "2024-12-31", "732000", 366)])
    assert (result["windows"][0]["sales"], result["windows"][0]["transactions"]) == ("670000.00", 335)
    assert result["has_nexus"] is True


@pytest.mark.parametrize(("on", "period_code", "expected"), [
    ("2026-01-15", "preceding_12_months_at_quarter_end", [("2025-01-01", "2025-12-31")]),
    ("2026-03-31", "preceding_12_months_at_quarter_end", [("2025-01-01", "2025-12-31")]),
    ("2026-04-01", "preceding_4_calendar_quarters", [("2025-04-01", "2026-03-31")]),
    ("2026-02-28", "preceding_4_ny_sales_tax_quarters", [("2024-12-01", "2025-11-30")]),
    ("2026-03-01", "preceding_4_ny_sales_tax_quarters", [("2025-03-01", "2026-02-28")]),
    ("2026-01-10", "preceding_12_calendar_months", [("2025-01-01", "2025-12-31")]),
    ("2025-09-30", "twelve_months_ending_sep_30", [("2023-10-01", "2024-09-30")]),
    ("2025-10-01", "twelve_months_ending_sep_30", [("2024-10-01", "2025-09-30")]),
    ("2026-06-01", "previous_or_current_calendar_year", [("2025-01-01", "2025-12-31"), ("2026-01-01", "2026-12-31")]),
    ("2026-06-01", "previous_calendar_year", [("2025-01-01", "2025-12-31")]),
])
def test_measurement_windows(on: str, period_code: str, expected: list[tuple[str, str]]) -> None:
    got = [(w.start.isoformat(), w.end.isoformat()) for w in windows(period_code, date.fromisoformat(on))]
    assert got == expected


@pytest.mark.parametrize(("body", "code", "path"), [
    ({"region": "US-IL", "history": []}, "MISSING_FIELD", "date"),
    ({"date": "2026-13-01", "region": "US-IL", "history": []}, "INVALID_DATE", "date"),
    ({"date": "2026-01-15", "history": []}, "MISSING_FIELD", "region"),
    ({"date": "2026-01-15", "region": "US-XX", "history": []}, "INVALID_REGION", "region"),
    ({"date": "2020-12-31", "region": "US-IL", "history": []}, "DATE_OUT_OF_RANGE", "date"),
    ({"date": "2026-01-15", "region": "US-IL", "history": {}}, "INVALID_FIELD", "history"),
    ({"date": "2026-01-15", "region": "US-IL", "extra": 1}, "UNKNOWN_FIELD", "extra"),
    ({"date": "2026-01-15", "region": "US-IL", "history": [period("2025-01-01", "2025-12-31", "-1", 1)]},
     "INVALID_AMOUNT", "history[0].sales"),
    ({"date": "2026-01-15", "region": "US-IL", "history": [period("2025-01-01", "2025-12-31", "1", True)]},
     "INVALID_FIELD", "history[0].transactions"),
    ({"date": "2026-01-15", "region": "US-IL", "history": [period("2025-12-31", "2025-01-01", "1", 1)]},
     "INVALID_FIELD", "history[0].period_end"),
    ({"date": "2026-01-15", "region": "US-IL",
      "history": [period("2025-01-01", "2025-06-30", "1", 1), period("2025-06-30", "2025-12-31", "1", 1)]},
     "INVALID_FIELD", "history[1].period_start"),
    ({"date": "2026-01-15", "region": "US-GA", "history": [period("2025-01-01", "2025-12-31", "1")]},
     "MISSING_FIELD", "history[0].transactions"),
])
def test_bad_nexus_input_names_the_field(body: dict[str, Any], code: str, path: str) -> None:
    with pytest.raises(TaxInputError) as err:
        nexus_from_json(body)
    assert (err.value.code, err.value.path) == (code, path)


def test_cli_nexus_exit_codes() -> None:
    out = io.StringIO()
    body = {"date": "2026-01-15", "region": "US-IL",
            "history": [{"period_start": "2025-01-01", "period_end": "2025-12-31", "sales": 60000.0, "transactions": 250}]}
    assert main(["nexus", "-"], io.StringIO(json.dumps(body)), out) == 0
    assert json.loads(out.getvalue())["has_nexus"] is False
    out = io.StringIO()
    assert main(["nexus", "-"], io.StringIO('{"date": "2026-01-15", "region": "US-ZZ"}'), out) == 2
    assert json.loads(out.getvalue())["error"]["path"] == "region"
