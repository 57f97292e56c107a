"""Property tests (hypothesis) for the invariants the calculation promises."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tax_rules import dispatch, quote_from_json
from tax_rules.calculate import allocate

from .builders import line, request

COUNTRIES = ["DE", "FR", "IE", "FI", "SE", "SK", "RO", "CZ", "LU", "AT", "NL", "IT", "EE"]
HS_CODES = ["610910", "490199", "190590", "300490", "961900", "847130", "611120"]
OSS = [{"scheme": "OSS_UNION", "country": "PL"}]

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)
days = st.integers(min_value=0, max_value=(date(2028, 12, 31) - date(2021, 7, 1)).days).map(
    lambda n: date(2021, 7, 1) + timedelta(days=n))
lines_strategy = st.lists(st.tuples(st.sampled_from(HS_CODES), money, st.integers(1, 5)), min_size=1, max_size=6)


def oss_quote(country: str, day: date, lines: list, inclusive: bool, shipping: str = "0.00",
              rounding: str = "line") -> dict:
    items = [line(id=str(i), hs_code=hs, unit_price=str(price), quantity=qty) for i, (hs, price, qty) in
             enumerate(lines)]
    return quote_from_json(request(date=day.isoformat(), ship_from="PL", ship_to=country, postal_code="00001",
                                   registrations=OSS, lines=items, inclusive=inclusive, shipping=shipping,
                                   rounding=rounding))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(COUNTRIES), days, st.lists(st.tuples(st.sampled_from(HS_CODES), money), min_size=1,
                                                   max_size=5))
def test_exclusive_to_inclusive_round_trip(country: str, day: date, priced: list) -> None:
    exclusive = oss_quote(country, day, [(hs, price, 1) for hs, price in priced], inclusive=False)
    grossed = [(hs, Decimal(x["taxable_amount"]) + Decimal(x["tax_amount"]), 1)
               for (hs, _), x in zip(priced, exclusive["lines"])]
    inclusive = oss_quote(country, day, grossed, inclusive=True)
    for ex, inc in zip(exclusive["lines"], inclusive["lines"]):
        assert (inc["taxable_amount"], inc["tax_amount"]) == (ex["taxable_amount"], ex["tax_amount"])


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(COUNTRIES), days, lines_strategy, st.booleans(), money, st.sampled_from(["line", "invoice"]))
def test_parts_add_up_and_tax_is_never_negative(country, day, lines, inclusive, shipping, rounding) -> None:
    result = oss_quote(country, day, lines, inclusive, str(shipping), rounding)
    line_taxes = [Decimal(x["tax_amount"]) for x in result["lines"]]
    assert sum(line_taxes) + Decimal(result["shipping"]["tax_amount"]) == Decimal(result["tax_total"])
    for x in result["lines"]:
        assert sum(Decimal(c["tax_amount"]) for c in x["components"]) == Decimal(x["tax_amount"])
    assert all(t >= 0 for t in line_taxes) and Decimal(result["tax_total"]) >= 0
    if inclusive:
        for (_, price, qty), x in zip(lines, result["lines"]):
            assert Decimal(x["taxable_amount"]) + Decimal(x["tax_amount"]) == price * qty
    if rounding == "line":
        assert result["tax_total"] == result["tax_total_line_rounding"]


@settings(max_examples=200, deadline=None)
@given(money, st.lists(st.decimals(min_value=0, max_value=Decimal("1e6"), places=3), min_size=1, max_size=20))
def test_allocations_add_up_exactly(total: Decimal, weights: list) -> None:
    parts = allocate(total, weights, Decimal("0.01"))
    assert sum(parts) == total and all(p >= 0 for p in parts) and len(parts) == len(weights)


def _standard_rows() -> dict[str, list[tuple[date, date | None, Decimal]]]:
    table: dict[str, list[tuple[date, date | None, Decimal]]] = {}
    with (dispatch.DATA_DIR / "eu" / "rates.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["rate_type"] == "standard":
                end = date.fromisoformat(row["valid_to"]) if row["valid_to"] else None
                table.setdefault(row["country"], []).append((date.fromisoformat(row["valid_from"]), end,
                                                             Decimal(row["rate"])))
    return table


STANDARD = _standard_rows()


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(sorted(STANDARD)), days)
def test_rate_on_a_date_is_the_rate_valid_on_that_date(country: str, day: date) -> None:
    valid = [rate for start, end, rate in STANDARD[country] if start <= day and (end is None or day <= end)]
    postal = "28001" if country == "ES" else "00001"
    result = quote_from_json(request(date=day.isoformat(), ship_from="PL", ship_to=country, postal_code=postal,
                                     registrations=OSS, lines=[line(hs_code="847130")]))
    assert [Decimal(result["lines"][0]["rate"])] == valid


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(COUNTRIES), days, lines_strategy, st.booleans(), money)
def test_reported_totals_agree_with_the_other_policy(country, day, lines, inclusive, shipping) -> None:
    per_line = oss_quote(country, day, lines, inclusive, str(shipping), "line")
    per_invoice = oss_quote(country, day, lines, inclusive, str(shipping), "invoice")
    assert per_line["tax_total_invoice_rounding"] == per_invoice["tax_total"]
    assert per_invoice["tax_total_line_rounding"] == per_line["tax_total"]
