"""Money helpers for the sandbox store: Decimal only, explicit rounding, Shopify's output formats.

Amounts are generated in the buyer's (presentment) currency and converted atom by atom (each line price, each tax
line, each shipping price) into the shop currency; every total is the sum of its converted atoms, so totals add up in
both currencies exactly as they do on Shopify.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# Fixed demonstration rates: units of the currency per 1 EUR (the sandbox has no market data).
RATES_PER_EUR: dict[str, Decimal] = {
    "EUR": Decimal("1"),
    "USD": Decimal("1.08"),
    "GBP": Decimal("0.85"),
    "AUD": Decimal("1.65"),
    "NZD": Decimal("1.80"),
    "SGD": Decimal("1.45"),
    "MYR": Decimal("5.05"),
    "CAD": Decimal("1.47"),
}


def q2(value: Decimal) -> Decimal:
    """Round half-up to cents (Shopify rounds money half-up)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def convert(amount: Decimal, source: str, target: str) -> Decimal:
    if source == target:
        return amount
    return q2(amount / RATES_PER_EUR[source] * RATES_PER_EUR[target])


def gql_amount(value: Decimal) -> str:
    """Admin GraphQL `Decimal` rendering: Shopify drops trailing zeros but keeps one decimal ("25.0", "24.9")."""
    text = format(value.normalize(), "f")
    if "." not in text:
        return text + ".0"
    return text


def rest_amount(value: Decimal) -> str:
    """REST/webhook rendering: two decimals as a string ("25.00")."""
    return format(q2(value), "f")


class Amount:
    """A money amount in presentment and shop currency (the atoms every *Set is made of)."""

    __slots__ = ("presentment", "shop")

    def __init__(self, presentment: Decimal, shop: Decimal) -> None:
        self.presentment = presentment
        self.shop = shop

    @classmethod
    def zero(cls) -> Amount:
        return ZERO_AMOUNT

    @classmethod
    def of(cls, presentment: Decimal, presentment_currency: str, shop_currency: str) -> Amount:
        presentment = q2(presentment)
        return cls(presentment, convert(presentment, presentment_currency, shop_currency))

    def __add__(self, other: Amount) -> Amount:
        return Amount(self.presentment + other.presentment, self.shop + other.shop)

    def __sub__(self, other: Amount) -> Amount:
        return Amount(self.presentment - other.presentment, self.shop - other.shop)

    def __neg__(self) -> Amount:
        return Amount(-self.presentment, -self.shop)

    def times(self, quantity: int) -> Amount:
        return Amount(self.presentment * quantity, self.shop * quantity)


ZERO_AMOUNT = Amount(ZERO, ZERO)  # Amount is never mutated in place, so one zero is shared


def total(amounts) -> Amount:
    result = Amount.zero()
    for amount in amounts:
        result = result + amount
    return result


def money_bag(amount: Amount, shop_currency: str, presentment_currency: str) -> dict:
    """A GraphQL MoneyBag; amounts stay Decimal in the store and are rendered at the edge."""
    return {
        "shopMoney": {"amount": amount.shop, "currencyCode": shop_currency},
        "presentmentMoney": {"amount": amount.presentment, "currencyCode": presentment_currency},
    }


def money_v2(amount: Decimal, currency: str) -> dict:
    return {"amount": amount, "currencyCode": currency}


def bag_amount(bag: dict) -> Amount:
    return Amount(bag["presentmentMoney"]["amount"], bag["shopMoney"]["amount"])
