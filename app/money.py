"""Money: integer minor units in the database, `Decimal` (and py-moneyed `Money`) in code, never float.

Decisions:
- A currency's exponent (number of minor-unit digits) is babel's (CLDR) precision: JPY 0, EUR 2, KWD/BHD 3. The
  commerce mappers and `tax_rules` use the same table, so minor units mean the same thing everywhere. CLDR gives
  fewer digits than ISO 4217 for a few currencies (HUF, IDR, COP, IQD, ... → 0): an amount with more digits than
  the table allows must be rounded explicitly before it is stored (see `to_minor`).
- Rounding happens only at named boundaries, with an explicit mode: `quantize(..., rounding=...)`, `to_minor(...,
  rounding=...)`. `to_minor` without a rounding mode refuses an amount it cannot store exactly.
- `allocate` splits by largest remainder over minor units, so the parts always add up to the total exactly
  (negative totals are split as the mirror image of the positive split).
- `format_money` always takes an explicit locale and shows exactly the currency's exponent digits.
- Floats are refused with TypeError everywhere: binary fractions cannot hold 0.10 exactly.

py-moneyed is dormant upstream, so it stays behind this module: other modules import `Money` and helpers from here.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from typing import Union

import pycountry
from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_precision, parse_pattern
from moneyed import Money as _MoneyedMoney
from moneyed import add_currency
from moneyed import get_currency as _moneyed_currency
from moneyed.classes import CurrencyDoesNotExist

from app.errors import InvalidInput

Money = _MoneyedMoney
Amount = Union[Decimal, int, str]

# ISO 4217 codes that are not money a shop can be paid in: precious metals, SDR/bond units, testing, "no currency".
_NOT_A_TRADING_CURRENCY = frozenset(
    {"XAU", "XAG", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA", "XTS", "XXX", "XAD"}
)


@lru_cache(maxsize=None)
def _iso_currency(code: str) -> bool:
    return code not in _NOT_A_TRADING_CURRENCY and pycountry.currencies.get(alpha_3=code) is not None


def validate_currency(code: object) -> str:
    """The ISO 4217 code (upper case) of a currency a shop can trade in; InvalidInput otherwise."""
    if not isinstance(code, str) or len(code.strip()) != 3 or not code.strip().isalpha():
        raise InvalidInput(f"currency must be a three-letter ISO 4217 code such as 'EUR', got {code!r}",
                           field="currency")
    normalised = code.strip().upper()
    if not _iso_currency(normalised):
        raise InvalidInput(f"{normalised!r} is not an ISO 4217 currency code", field="currency")
    return normalised


@lru_cache(maxsize=None)
def currency_exponent(code: str) -> int:
    """Digits after the decimal point of the currency's minor unit (babel/CLDR): JPY 0, EUR 2, KWD 3."""
    return int(get_currency_precision(validate_currency(code)))


def _moneyed_currency_for(code: str) -> object:
    try:
        return _moneyed_currency(code)
    except CurrencyDoesNotExist:
        numeric = getattr(pycountry.currencies.get(alpha_3=code), "numeric", None)
        return add_currency(code, numeric, sub_unit=10 ** currency_exponent(code))


def to_decimal(value: object) -> Decimal:
    """An exact Decimal from a Decimal, an int or a decimal string; TypeError for floats, InvalidInput for junk."""
    if isinstance(value, float):
        raise TypeError("money amounts must not be floats; pass a Decimal, an int or a decimal string")
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise TypeError(f"money amounts must be Decimal, int or str, not {type(value).__name__}")
    try:
        result = value if isinstance(value, Decimal) else Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise InvalidInput(f"{value!r} is not a decimal amount") from None
    if not result.is_finite():
        raise InvalidInput(f"{value!r} is not a finite amount")
    return result


def _exp(currency: str) -> Decimal:
    return Decimal(1).scaleb(-currency_exponent(currency))


def _quantized(value: Decimal, currency: str, rounding: str) -> Decimal:
    try:
        return value.quantize(_exp(currency), rounding=rounding)
    except InvalidOperation:  # more digits than the decimal context holds (28)
        raise InvalidInput(f"amount {value} is too large to handle exactly") from None


def quantize(amount: Amount, currency: str, rounding: str = ROUND_HALF_UP) -> Decimal:
    """`amount` rounded to the currency's minor unit with the given rounding mode (default half-up)."""
    return _quantized(to_decimal(amount), currency, rounding)


def to_minor(amount: Amount | Money, currency: str | None = None, *, rounding: str | None = None) -> int:
    """Integer minor units of `amount` (EUR 12.34 → 1234). Without `rounding`, an inexact amount is refused."""
    if isinstance(amount, Money):
        currency = _money_currency(amount, currency)
        amount = amount.amount
    if currency is None:
        raise TypeError("to_minor needs a currency for a plain amount")
    value = to_decimal(amount)
    exact = _quantized(value, currency, rounding or ROUND_HALF_UP)
    if rounding is None and exact != value:
        raise InvalidInput(
            f"{value} has more decimals than {currency.upper()} allows ({currency_exponent(currency)}); "
            "round it explicitly first"
        )
    return int(exact.scaleb(currency_exponent(currency)))


def from_minor(units: int, currency: str) -> Decimal:
    """The Decimal amount of integer minor units (1234 EUR cents → Decimal('12.34'); 1234 JPY → Decimal('1234'))."""
    if isinstance(units, bool) or not isinstance(units, int):
        raise TypeError(f"minor units must be an int, not {type(units).__name__}")
    return Decimal(units).scaleb(-currency_exponent(currency))


def money(amount: Amount, currency: str) -> Money:
    """A py-moneyed Money; floats refused. The amount is kept as given (quantize explicitly where needed)."""
    code = validate_currency(currency)
    return Money(to_decimal(amount), _moneyed_currency_for(code))


def money_from_minor(units: int, currency: str) -> Money:
    return money(from_minor(units, currency), currency)


def zero(currency: str) -> Money:
    return money(0, currency)


def _money_currency(value: Money, currency: str | None) -> str:
    code = value.currency.code
    if currency is not None and validate_currency(currency) != code:
        raise InvalidInput(f"amount is in {code}, not {currency.upper()}")
    return code


def _check_weights(weights: Sequence[Amount]) -> list[Fraction]:
    if not weights:
        raise InvalidInput("allocate needs at least one weight")
    fractions = [Fraction(to_decimal(w)) for w in weights]
    if any(w < 0 for w in fractions):
        raise InvalidInput("allocation weights must not be negative")
    if sum(fractions) == 0:
        raise InvalidInput("allocation weights must not all be zero")
    return fractions


def allocate_minor(total: int, weights: Sequence[Amount]) -> list[int]:
    """Split integer minor units in proportion to `weights` by largest remainder; the parts sum to `total` exactly.

    Each part gets the floor of its exact quota; the units left over go one each to the largest remainders, ties to
    the earlier position. A negative total is split as the negation of the positive split.
    """
    if isinstance(total, bool) or not isinstance(total, int):
        raise TypeError(f"allocate_minor takes integer minor units, not {type(total).__name__}")
    shares = _check_weights(weights)
    if total < 0:
        return [-part for part in allocate_minor(-total, weights)]
    whole = sum(shares)
    quotas = [total * share / whole for share in shares]
    parts = [quota.numerator // quota.denominator for quota in quotas]
    leftover = total - sum(parts)
    by_remainder = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - parts[i]), i))
    for index in by_remainder[:leftover]:
        parts[index] += 1
    return parts


def allocate(total: Amount | Money, weights: Sequence[Amount], currency: str | None = None) -> list:
    """Split `total` by `weights` so that the parts add up exactly.

    - `allocate(Money, weights)` → list of Money in the same currency;
    - `allocate(Decimal | str, weights, currency)` → list of Decimal at the currency's minor unit;
    - `allocate(int, weights)` without a currency → list of int (the int is minor units).
    """
    if isinstance(total, Money):
        code = _money_currency(total, currency)
        return [money_from_minor(units, code) for units in allocate_minor(to_minor(total), weights)]
    if currency is None:
        if isinstance(total, int) and not isinstance(total, bool):
            return allocate_minor(total, weights)
        raise TypeError("allocate needs a currency for a Decimal or string total")
    parts = allocate_minor(to_minor(total, currency), weights)
    return [from_minor(units, currency) for units in parts]


@lru_cache(maxsize=256)
def parse_locale(identifier: str) -> Locale:
    """A babel Locale from `de_DE` or `de-DE`; InvalidInput for anything babel does not know."""
    if not isinstance(identifier, str) or not identifier.strip():
        raise InvalidInput("locale is empty; use an identifier such as 'en_US' or 'de-DE'", field="locale")
    try:
        return Locale.parse(identifier.strip().replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise InvalidInput(f"unknown locale {identifier!r}; use an identifier such as 'en_US' or 'de-DE'",
                           field="locale") from None


def format_money(amount: Amount | Money, currency: str | None, locale: str) -> str:
    """`amount` formatted for people in `locale`, at the currency's exponent (rounded half-up for display).

    Examples: EUR 1234.5 in de_DE → '1.234,50\\xa0€'; JPY 1234 in ja_JP → '￥1,234'.
    """
    if isinstance(amount, Money):
        currency = _money_currency(amount, currency)
        amount = amount.amount
    if currency is None:
        raise TypeError("format_money needs a currency for a plain amount")
    code = validate_currency(currency)
    babel_locale = parse_locale(locale)
    digits = currency_exponent(code)
    pattern = copy.copy(parse_pattern(babel_locale.currency_formats["standard"]))
    pattern.frac_prec = (digits, digits)
    return pattern.apply(quantize(amount, code), babel_locale, currency=code, currency_digits=False)
