"""calculate.py: allocation, inclusive/exclusive maths, partial bases, currencies, discounts, shipping shares."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tax_rules import quote_from_json
from tax_rules.calculate import allocate, quantum, solve_net
from tax_rules.dated import RuleRef
from tax_rules.model import Level, RateComponent

from .builders import IOSS_DE, line, request

REF = RuleRef("test", date(2021, 1, 1), None, "test")


def comp(rate: str, fraction: str = "1", exempt: str = "0") -> RateComponent:
    return RateComponent(Level.STATE, "t", Decimal(rate), REF, Decimal(fraction), Decimal(exempt))


def test_allocate_by_largest_remainder() -> None:
    cent = Decimal("0.01")
    assert allocate(Decimal("10.00"), [Decimal(1)] * 3, cent) == [Decimal("3.34"), Decimal("3.33"), Decimal("3.33")]
    assert allocate(Decimal("1.00"), [Decimal("2"), Decimal("1")], cent) == [Decimal("0.67"), Decimal("0.33")]
    assert allocate(Decimal("5.00"), [Decimal(0), Decimal(0)], cent) == [Decimal("2.50"), Decimal("2.50")]
    assert allocate(Decimal("7"), [Decimal(1)] * 2, Decimal(1)) == [Decimal(4), Decimal(3)]
    assert allocate(Decimal("0.00"), [Decimal(1)], cent) == [Decimal("0.00")]


def test_solve_net_plain_and_partial_bases() -> None:
    assert solve_net(Decimal("119"), [comp("19")], 1) == Decimal("100")
    # MA-style: first 175 per item exempt; 2 items at net 200 -> tax 6.25 % of 2 x 25
    assert solve_net(Decimal("403.125"), [comp("6.25", exempt="175")], 2) == Decimal("400")
    # below the exemption the price carries no tax
    assert solve_net(Decimal("150"), [comp("6.25", exempt="175")], 1) == Decimal("150")
    # ID-style 11/12 base of a 12 % rate = 11 % effective
    assert solve_net(Decimal("111"), [comp("12", fraction=str(Decimal(11) / Decimal(12)))], 1).quantize(
        Decimal("0.0001")) == Decimal("100.0000")


@pytest.mark.parametrize(("currency", "q"), [("EUR", "0.01"), ("JPY", "1"), ("KWD", "0.001"), ("USD", "0.01")])
def test_currency_minor_units(currency: str, q: str) -> None:
    assert quantum(currency) == Decimal(q)


def test_zero_decimal_currency_quote() -> None:
    result = quote_from_json(request(currency="JPY", registrations=[IOSS_DE], exchange_rates={"EUR": "0.0057"},
                                     lines=[line(unit_price="5000")], inclusive=True))
    assert (result["tax_total"], result["lines"][0]["taxable_amount"]) == ("798", "4202")


def test_three_decimal_currency_quote() -> None:
    result = quote_from_json(request(currency="KWD", registrations=[IOSS_DE], exchange_rates={"EUR": "2.8"},
                                     lines=[line(unit_price="10.125")]))
    assert (result["tax_total"], result["lines"][0]["taxable_amount"]) == ("1.924", "10.125")


def test_discount_reduces_the_base() -> None:
    result = quote_from_json(request(registrations=[IOSS_DE], lines=[line(unit_price="30.00", quantity=2,
                                                                          discount="10.00")]))
    assert (result["lines"][0]["taxable_amount"], result["tax_total"]) == ("50.00", "9.50")


def test_shipping_follows_mixed_rates_by_value() -> None:
    lines = [line(id="a", hs_code="490199", unit_price="30.00"), line(id="b", hs_code="610910", unit_price="10.00")]
    result = quote_from_json(request(registrations=[IOSS_DE], lines=lines, shipping="4.00"))
    shipping = result["shipping"]
    # 3.00 at 7 % (0.21) + 1.00 at 19 % (0.19)
    assert (shipping["taxable_amount"], shipping["tax_amount"], shipping["rate"]) == ("4.00", "0.40", "10")
    assert result["tax_total"] == "4.40"


def test_shipping_share_of_a_zero_rated_line_stays_untaxed() -> None:
    lines = [line(id="a", hs_code="490199", unit_price="10.00"), line(id="b", hs_code="610910", unit_price="10.00")]
    result = quote_from_json(request(ship_to="IE", registrations=[IOSS_DE], lines=lines, shipping="2.00"))
    assert (result["shipping"]["tax_amount"], result["tax_total"]) == ("0.23", "2.53")


def test_cost_price_never_enters_the_base() -> None:
    cheap = quote_from_json(request(registrations=[IOSS_DE], lines=[line(unit_cost="1.00")]))
    dear = quote_from_json(request(registrations=[IOSS_DE], lines=[line(unit_cost="49.00")]))
    assert cheap["tax_total"] == dear["tax_total"] == "9.50"
    assert (cheap["customs"]["cost_value"], dear["customs"]["cost_value"]) == ("1.00", "49.00")


def test_lines_that_do_not_ship_carry_no_shipping_share() -> None:
    lines = [line(id="a", unit_price="10.00"), line(id="b", hs_code="490199", unit_price="90.00",
                                                    requires_shipping=False)]
    result = quote_from_json(request(registrations=[IOSS_DE], lines=lines, shipping="5.00"))
    assert (result["shipping"]["rate"], result["shipping"]["tax_amount"]) == ("19", "0.95")
