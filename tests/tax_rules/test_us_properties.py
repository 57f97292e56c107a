"""Property tests for the US, nexus and SEA/ANZ rules: the rate quoted on a date is the data row valid on that date;
more sales or transactions never remove nexus; MA/RI per-item exemptions never tax more than the full rate."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tax_rules import quote_from_json
from tax_rules.nexus import nexus_from_json

from .test_us_quote import ALL_STATES, us_request

DATA = Path(__file__).resolve().parents[2] / "tax_rules" / "data"
DATES = st.dates(min_value=date(2021, 1, 1), max_value=date(2031, 12, 31))


def _rows(relative: str) -> list[dict[str, str]]:
    with (DATA / relative).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


STATE_ROWS = _rows("us/state_rates.csv")
SEA_ROWS = _rows("sea_anz/rates.csv")


def _covering(rows: list[dict[str, str]], d: date, **match: str) -> dict[str, str]:
    found = [r for r in rows if all(r[k] == v for k, v in match.items())
             and date.fromisoformat(r["valid_from"]) <= d and (not r["valid_to"] or d <= date.fromisoformat(r["valid_to"]))]
    assert len(found) == 1, (match, d, found)
    return found[0]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(ALL_STATES), DATES)
def test_quoted_state_rate_is_the_row_valid_on_the_date(state: str, d: date) -> None:
    result = quote_from_json(us_request(state, [{"category": "general", "unit_price": "100.00"}], date=d.isoformat()))
    expected = Decimal(_covering(STATE_ROWS, d, state=state)["rate"])
    assert Decimal(result["lines"][0]["rate"]) == expected
    assert Decimal(result["lines"][0]["tax_amount"]) == expected.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["SG", "TH", "PH", "AU", "NZ"]), DATES)
def test_quoted_gst_rate_is_the_row_valid_on_the_date(country: str, d: date) -> None:
    currency = {"SG": "SGD", "TH": "THB", "PH": "PHP", "AU": "AUD", "NZ": "NZD"}[country]
    body = {"date": d.isoformat(), "currency": currency, "ship_from": {"country": country},
            "ship_to": {"country": country}, "seller": {"established": country, "registrations": [
                {"scheme": {"SG": "SG_GST", "TH": "TH_VAT", "PH": "PH_VAT", "AU": "AU_GST", "NZ": "NZ_GST"}[country]}]},
            "lines": [{"id": "1", "category": "general", "unit_price": "100.00", "quantity": 1}]}
    result = quote_from_json(body)
    assert Decimal(result["lines"][0]["rate"]) == Decimal(_covering(SEA_ROWS, d, country=country, kind="standard")["rate"])


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(ALL_STATES), st.dates(min_value=date(2021, 7, 1), max_value=date(2027, 12, 31)),
       st.integers(min_value=0, max_value=600_000), st.integers(min_value=0, max_value=400),
       st.integers(min_value=0, max_value=300_000), st.integers(min_value=0, max_value=200))
def test_more_sales_never_remove_nexus(state: str, d: date, sales: int, count: int, more_sales: int,
                                       more_count: int) -> None:
    def has_nexus(total: int, transactions: int) -> bool:
        start = d - timedelta(days=800)
        history = [{"period_start": start.isoformat(), "period_end": (d - timedelta(days=1)).isoformat(),
                    "sales": str(total), "transactions": transactions}]
        return nexus_from_json({"date": d.isoformat(), "region": f"US-{state}", "history": history})["has_nexus"]

    if has_nexus(sales, count):
        assert has_nexus(sales + more_sales, count + more_count)


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(["MA", "RI"]), st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2),
       st.integers(min_value=1, max_value=5))
def test_per_item_clothing_exemption_taxes_only_the_excess(state: str, price: Decimal, quantity: int) -> None:
    line = {"category": "clothing", "unit_price": str(price), "quantity": quantity}
    tax = Decimal(quote_from_json(us_request(state, [line]))["lines"][0]["tax_amount"])
    rate, exempt = (Decimal("6.25"), Decimal(175)) if state == "MA" else (Decimal(7), Decimal(250))
    excess = max(Decimal(0), price - exempt) * quantity
    assert tax == (excess * rate / 100).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert Decimal(0) <= tax <= (price * quantity * rate / 100).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
