"""Property tests: allocations add up exactly and stay proportional; minor-unit round trips are exact."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from app.money import allocate, allocate_minor, from_minor, money, to_minor

CURRENCIES = st.sampled_from(["EUR", "USD", "JPY", "KWD", "BHD", "CLF", "HUF"])
TOTALS = st.integers(min_value=-10**15, max_value=10**15)
INT_WEIGHTS = st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=30).filter(any)
DECIMAL_WEIGHTS = st.lists(
    st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False), min_size=1,
    max_size=20,
).filter(lambda ws: sum(ws) > 0)


@settings(max_examples=300, deadline=None)
@given(total=TOTALS, weights=st.one_of(INT_WEIGHTS, DECIMAL_WEIGHTS))
def test_parts_add_up_and_each_is_within_one_unit_of_its_quota(total: int, weights: list) -> None:
    parts = allocate_minor(total, weights)
    assert len(parts) == len(weights)
    assert sum(parts) == total
    whole = sum(Fraction(w) for w in weights)
    for part, weight in zip(parts, weights, strict=True):
        quota = Fraction(total) * Fraction(weight) / whole
        assert abs(part - quota) < 1
        if weight == 0:
            assert part == 0


@settings(max_examples=200, deadline=None)
@given(total=TOTALS, weights=INT_WEIGHTS)
def test_negative_totals_mirror_positive_ones(total: int, weights: list[int]) -> None:
    assert allocate_minor(-total, weights) == [-p for p in allocate_minor(total, weights)]


@settings(max_examples=200, deadline=None)
@given(units=TOTALS, currency=CURRENCIES, weights=INT_WEIGHTS)
def test_money_allocation_adds_up_in_the_same_currency(units: int, currency: str, weights: list[int]) -> None:
    total = from_minor(units, currency)
    parts = allocate(money(total, currency), weights)
    assert sum((p.amount for p in parts), Decimal(0)) == total
    assert {p.currency.code for p in parts} == {currency}
    assert sum(allocate(total, weights, currency), Decimal(0)) == total


@settings(max_examples=300, deadline=None)
@given(units=TOTALS, currency=CURRENCIES)
def test_minor_unit_round_trip_is_exact(units: int, currency: str) -> None:
    amount = from_minor(units, currency)
    assert to_minor(amount, currency) == units
    assert to_minor(str(amount), currency) == units
    assert to_minor(money(amount, currency)) == units
