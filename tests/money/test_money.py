"""app.money: exponents, exact minor units, explicit rounding, allocation and locale formatting."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import pytest

from app.errors import InvalidInput
from app.money import (
    Money,
    allocate,
    allocate_minor,
    currency_exponent,
    format_money,
    from_minor,
    money,
    money_from_minor,
    quantize,
    to_decimal,
    to_minor,
    validate_currency,
    zero,
)

D = Decimal


@pytest.mark.parametrize(
    ("code", "exponent"),
    [("JPY", 0), ("KRW", 0), ("EUR", 2), ("USD", 2), ("CNY", 2), ("KWD", 3), ("BHD", 3), ("TND", 3),
     ("HUF", 0), ("IDR", 0), ("CLF", 4), ("XCG", 2), ("eur", 2)],
)
def test_currency_exponents_follow_cldr(code: str, exponent: int) -> None:
    assert currency_exponent(code) == exponent


@pytest.mark.parametrize(
    ("code", "message"),
    [("EURO", "currency must be a three-letter ISO 4217 code such as 'EUR', got 'EURO'"),
     ("", "currency must be a three-letter ISO 4217 code"),
     ("E1R", "currency must be a three-letter ISO 4217 code"),
     (None, "currency must be a three-letter ISO 4217 code"),
     ("QQQ", "'QQQ' is not an ISO 4217 currency code"),
     ("XAU", "'XAU' is not an ISO 4217 currency code"),
     ("XXX", "'XXX' is not an ISO 4217 currency code")],
)
def test_bad_currencies(code: object, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        validate_currency(code)
    assert info.value.message.startswith(message)


def test_validate_currency_normalises_case() -> None:
    assert validate_currency(" usd ") == "USD"


@pytest.mark.parametrize(
    ("amount", "currency", "units"),
    [(D("12.34"), "EUR", 1234), ("12.3", "EUR", 1230), (12, "EUR", 1200), (D("-0.01"), "USD", -1),
     (D("1234"), "JPY", 1234), (D("1.234"), "KWD", 1234), (D("0.000"), "BHD", 0), (D("12.340000"), "EUR", 1234)],
)
def test_to_minor_and_back(amount: object, currency: str, units: int) -> None:
    assert to_minor(amount, currency) == units  # type: ignore[arg-type]
    assert from_minor(units, currency) == to_decimal(amount)  # type: ignore[arg-type]


def test_from_minor_keeps_the_exponent() -> None:
    assert str(from_minor(1234, "EUR")) == "12.34"
    assert str(from_minor(1234, "JPY")) == "1234"
    assert str(from_minor(-5, "KWD")) == "-0.005"


def test_to_minor_refuses_inexact_amounts_unless_told_how_to_round() -> None:
    with pytest.raises(InvalidInput, match=r"^12.345 has more decimals than EUR allows \(2\); round it explicitly"):
        to_minor(D("12.345"), "EUR")
    with pytest.raises(InvalidInput, match=r"^1.5 has more decimals than JPY allows \(0\)"):
        to_minor(D("1.5"), "JPY")
    assert to_minor(D("12.345"), "EUR", rounding=ROUND_HALF_UP) == 1235
    assert to_minor(D("12.345"), "EUR", rounding=ROUND_HALF_EVEN) == 1234
    assert to_minor(D("-12.345"), "EUR", rounding=ROUND_HALF_UP) == -1235


@pytest.mark.parametrize(
    ("amount", "currency", "rounding", "expected"),
    [(D("2.675"), "EUR", ROUND_HALF_UP, D("2.68")), (D("2.665"), "EUR", ROUND_HALF_EVEN, D("2.66")),
     (D("2.679"), "EUR", ROUND_DOWN, D("2.67")), (D("-2.675"), "EUR", ROUND_HALF_UP, D("-2.68")),
     (D("1234.5"), "JPY", ROUND_HALF_UP, D("1235")), (D("0.0005"), "KWD", ROUND_HALF_UP, D("0.001")),
     ("7.98", "USD", ROUND_HALF_UP, D("7.98"))],
)
def test_quantize_with_explicit_rounding(amount: object, currency: str, rounding: str, expected: Decimal) -> None:
    result = quantize(amount, currency, rounding=rounding)  # type: ignore[arg-type]
    assert result == expected and str(result) == str(expected)


def test_quantize_defaults_to_half_up() -> None:
    assert quantize(D("0.125"), "EUR") == D("0.13")


@pytest.mark.parametrize("call", [
    lambda: to_minor(1.1, "EUR"),
    lambda: quantize(0.1, "EUR"),
    lambda: money(9.99, "USD"),
    lambda: format_money(1.5, "EUR", "de_DE"),
    lambda: allocate(D("1.00"), [0.5, 0.5], "EUR"),
    lambda: from_minor(1.0, "EUR"),
    lambda: to_decimal(True),
])
def test_floats_are_refused_everywhere(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError):
        call()


@pytest.mark.parametrize("value", ["abc", "NaN", "Infinity", "1,50"])
def test_junk_amounts_are_invalid_input(value: str) -> None:
    with pytest.raises(InvalidInput):
        to_decimal(value)


def test_money_objects_keep_the_currency() -> None:
    m = money("19.99", "eur")
    assert isinstance(m, Money)
    assert (m.amount, m.currency.code) == (D("19.99"), "EUR")
    assert money_from_minor(1999, "EUR") == m
    assert to_minor(m) == 1999
    assert zero("JPY") == money(0, "JPY")
    assert money_from_minor(5, "XCG").amount == D("0.05")
    with pytest.raises(InvalidInput, match="^amount is in EUR, not USD$"):
        to_minor(m, "USD")


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        (100, [1, 1, 1], [34, 33, 33]),
        (-100, [1, 1, 1], [-34, -33, -33]),
        (5, [1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0]),
        (1000, [D("19.99"), D("5.01"), 0], [800, 200, 0]),
        (1, [1, 2], [0, 1]),
        (0, [3, 4], [0, 0]),
        (10, [D("0.3333"), D("0.3333"), D("0.3334")], [3, 3, 4]),
        (7, [2, 2, 3], [2, 2, 3]),
        (101, [50, 50], [51, 50]),
    ],
)
def test_allocate_minor_by_largest_remainder(total: int, weights: list, parts: list[int]) -> None:
    assert allocate_minor(total, weights) == parts
    assert sum(parts) == total


def test_allocate_amounts_and_money() -> None:
    assert allocate(D("10.00"), [1, 1, 1], "EUR") == [D("3.34"), D("3.33"), D("3.33")]
    assert allocate("-0.05", [1, 1], "USD") == [D("-0.03"), D("-0.02")]
    assert allocate(money("1000", "JPY"), [1, 2]) == [money(333, "JPY"), money(667, "JPY")]
    assert allocate(money("0.010", "KWD"), [1, 1, 1]) == [money("0.004", "KWD"), money("0.003", "KWD"),
                                                           money("0.003", "KWD")]
    assert allocate(7, [1, 1]) == [4, 3]


@pytest.mark.parametrize(
    ("weights", "message"),
    [([], "allocate needs at least one weight"), ([0, 0], "allocation weights must not all be zero"),
     ([1, -1], "allocation weights must not be negative")],
)
def test_allocate_refuses_bad_weights(weights: list, message: str) -> None:
    with pytest.raises(InvalidInput, match=f"^{message}$"):
        allocate_minor(10, weights)


def test_allocate_needs_a_currency_for_decimals() -> None:
    with pytest.raises(TypeError):
        allocate(D("1.00"), [1, 1])
    with pytest.raises(InvalidInput, match="has more decimals than EUR allows"):
        allocate(D("1.005"), [1, 1], "EUR")


NBSP = "\xa0"


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        (D("1234.5"), "EUR", "de_DE", f"1.234,50{NBSP}€"),
        (D("1234.5"), "EUR", "de-DE", f"1.234,50{NBSP}€"),
        (D("1234.5"), "EUR", "zh_CN", "€1,234.50"),
        (D("1234.5"), "EUR", "en_US", "€1,234.50"),
        (D("1234.5"), "EUR", "ja_JP", "€1,234.50"),
        (D("1234.56"), "USD", "en_US", "$1,234.56"),
        (D("1234.56"), "USD", "de_DE", f"1.234,56{NBSP}$"),
        (D("1234.56"), "CNY", "zh_CN", "¥1,234.56"),
        (D("-1234.56"), "USD", "en_US", "-$1,234.56"),
        (D("1234"), "JPY", "ja_JP", "￥1,234"),
        (D("1234"), "JPY", "en_US", "¥1,234"),
        (D("1234"), "JPY", "de_DE", f"1.234{NBSP}¥"),
        (D("1234"), "JPY", "zh_CN", "JP¥1,234"),
        (D("1234.4"), "JPY", "ja_JP", "￥1,234"),
        (D("1234.567"), "KWD", "en_US", "KWD1,234.567"),
        (D("1234.567"), "KWD", "de_DE", f"1.234,567{NBSP}KWD"),
        (D("1234.5"), "KWD", "zh_CN", "KWD1,234.500"),
        (D("0.0005"), "BHD", "en_US", "BHD0.001"),
        (D("1234.5"), "HUF", "de_DE", f"1.235{NBSP}HUF"),
        (D("0.125"), "EUR", "de_DE", f"0,13{NBSP}€"),
        ("1234567.891", "EUR", "en_US", "€1,234,567.89"),
    ],
)
def test_format_money_with_explicit_locale(amount: object, currency: str, locale: str, expected: str) -> None:
    assert format_money(amount, currency, locale) == expected  # type: ignore[arg-type]


def test_format_money_takes_money_objects() -> None:
    assert format_money(money("5", "EUR"), None, "de_DE") == f"5,00{NBSP}€"
    with pytest.raises(InvalidInput, match="^amount is in EUR, not USD$"):
        format_money(money("5", "EUR"), "USD", "en_US")


@pytest.mark.parametrize("locale", ["xx_YY", "", "  ", "de_ZZ_Nope", "123"])
def test_format_money_refuses_unknown_locales(locale: str) -> None:
    with pytest.raises(InvalidInput) as info:
        format_money(D("1"), "EUR", locale)
    assert info.value.field == "locale"
    assert "locale" in info.value.message


def test_amounts_beyond_decimal_precision_are_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="is too large to handle exactly"):
        to_minor(D("1" + "0" * 30), "EUR")
