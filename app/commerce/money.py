"""Money at the storage boundary: Decimal amounts in code, integer minor units in the database.

The number of minor digits comes from CLDR (babel): USD 2, JPY 0, KWD 3. Shopify sends amounts already at the
currency's precision; an amount with more digits than the currency has is rounded half-even here, the one named place
where commerce amounts are quantized (the mappers flag such values, so the rounding never happens silently).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

from babel.numbers import get_currency_precision


@lru_cache(maxsize=512)
def minor_digits(currency: str) -> int:
    return int(get_currency_precision(currency.upper()))


def to_minor(amount: Decimal | None, currency: str | None) -> int | None:
    """Integer minor units of `amount` in `currency` (None stays None; half-even on excess digits)."""
    if amount is None:
        return None
    if currency is None:
        raise ValueError("an amount without a currency cannot be stored")
    return int(amount.scaleb(minor_digits(currency)).quantize(_ONE, rounding=ROUND_HALF_EVEN))


_ONE = Decimal(1)


def from_minor(minor: int | None, currency: str | None) -> Decimal | None:
    """The Decimal amount for integer minor units (exact)."""
    if minor is None:
        return None
    if currency is None:
        raise ValueError("minor units without a currency cannot be read")
    return Decimal(minor).scaleb(-minor_digits(currency))


def is_exact(amount: Decimal, currency: str) -> bool:
    """True when `amount` has no more fractional digits than `currency` allows."""
    exponent = amount.normalize().as_tuple().exponent
    return not isinstance(exponent, int) or -exponent <= minor_digits(currency)
