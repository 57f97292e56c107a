"""The one place where tax money is computed: resolvers decide, this module does the arithmetic.

Invariants (each has a property test in tests/tax_rules/test_properties.py):
- prices including tax: taxable_amount + tax_amount == the stated line amount, exactly, under either rounding;
- exclusive → inclusive round trip: quoting the gross of an exclusive quote gives back the same net and tax;
- under line rounding the line taxes (and shipping tax) add up to `tax_total` exactly; under invoice rounding the
  total is rounded once per rate group and handed back to the lines by largest remainder, so they still add up;
- shipping shares and invoice-rounded taxes are split by largest remainder: the parts always sum to the whole;
- tax is never negative (rates, fractions and bases are never negative);
- cost price never enters a base: only `customs` carries it.
Rounding is ROUND_HALF_UP to the currency's minor unit (babel's currency precision: JPY 0, EUR 2, KWD 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel.numbers import get_currency_precision

from .model import (
    ZERO, Category, Component, Customs, CustomsFacts, LineDecision, Quote, QuoteRequest, RateComponent, Resolution,
    ShippingMode, ShippingTax, TaxLine,
)

HUNDRED = Decimal(100)
ONE = Decimal(1)
CENT = Decimal("0.01")


@lru_cache(maxsize=256)
def quantum(currency: str) -> Decimal:
    """The currency's minor unit as a Decimal exponent: EUR → 0.01, JPY → 1, KWD → 0.001."""
    return Decimal(1).scaleb(-get_currency_precision(currency))


def round_money(amount: Decimal, q: Decimal) -> Decimal:
    return amount.quantize(q, rounding=ROUND_HALF_UP)


def allocate(total: Decimal, weights: Sequence[Decimal], q: Decimal) -> list[Decimal]:
    """Split `total` (a multiple of `q`, ≥ 0) in proportion to `weights` by largest remainder; parts sum to `total`.

    All-zero weights split equally. Ties go to the earlier part, so the result is deterministic.
    """
    if not weights:
        return []
    units = int((total / q).to_integral_value())
    weight_sum = sum(weights, ZERO)
    if weight_sum <= 0:
        weights, weight_sum = [ONE] * len(weights), Decimal(len(weights))
    exact = [Decimal(units) * w / weight_sum for w in weights]
    floors = [int(e.to_integral_value(rounding=ROUND_FLOOR)) for e in exact]
    return [Decimal(u) * q for u in _hand_out(units, floors, exact)]


def _hand_out(units: int, floors: list[int], exact: Sequence[Decimal]) -> list[int]:
    """Give the units left over after flooring to the largest fractional remainders."""
    left = units - sum(floors)
    order = sorted(range(len(floors)), key=lambda i: (-(exact[i] - floors[i]), i))
    parts = list(floors)
    index = 0
    while left > 0:
        parts[order[index % len(order)]] += 1
        left -= 1
        index += 1
    return parts


def solve_net(gross: Decimal, components: Sequence[RateComponent], quantity: int) -> Decimal:
    """The net amount N with N + tax(N) == gross, where tax(N) = Σ rate·fraction·max(0, N − exempt·quantity).

    tax(N) is piecewise linear and increasing, so exactly one segment holds the answer; try them from the top.
    """
    effective = sorted(
        ((c.rate / HUNDRED * c.base_fraction, c.exempt_per_unit * quantity) for c in components),
        key=lambda pair: pair[1],
    )
    for active in range(len(effective), -1, -1):
        used = effective[:active]
        slope = sum((r for r, _ in used), ZERO)
        net = (gross + sum((r * t for r, t in used), ZERO)) / (ONE + slope)
        lower_ok = active == 0 or net >= used[-1][1]
        upper_ok = active == len(effective) or net <= effective[active][1]
        if lower_ok and upper_ok:
            return net
    return gross  # unreachable for non-negative rates; kept total for safety


def component_taxes(net: Decimal, components: Sequence[RateComponent], quantity: int) -> list[Decimal]:
    return [
        c.rate / HUNDRED * c.base_fraction * max(ZERO, net - c.exempt_per_unit * quantity) for c in components
    ]


class Item:
    """One taxed amount: a line, or the shipping (or a share of it) taxed at one set of components."""

    __slots__ = ("stated", "quantity", "components", "collected", "jurisdiction", "inclusive", "net", "raw", "rounded")

    def __init__(self, stated: Decimal, quantity: int, components: tuple[RateComponent, ...], collected: bool,
                 jurisdiction: str, inclusive: bool) -> None:
        self.stated = stated
        self.quantity = quantity
        self.components = components
        self.collected = collected
        self.jurisdiction = jurisdiction
        self.inclusive = inclusive
        self.net = stated
        self.raw: tuple[Decimal, ...] = ()
        self.rounded: list[Decimal] = []

    def prepare(self) -> None:
        components = self.components
        if not (self.collected and components):
            self.net = self.stated
            self.raw = (ZERO,) * len(components)
            return
        if len(components) == 1:
            c = components[0]
            if c.base_fraction == ONE and not c.exempt_per_unit:  # the common case: one plain rate
                factor = c.rate / HUNDRED
                self.net = self.stated / (ONE + factor) if self.inclusive else self.stated
                self.raw = (self.net * factor,)
                return
        self.net = solve_net(self.stated, components, self.quantity) if self.inclusive else self.stated
        self.raw = tuple(component_taxes(self.net, components, self.quantity))

    def tax(self) -> Decimal:
        total = ZERO
        for amount in self.rounded:
            total += amount
        return total

    def taxable(self, q: Decimal) -> Decimal:
        if self.inclusive and self.collected and self.components:
            return round_money(self.stated, q) - self.tax()
        return round_money(self.net, q)


class LineAmountsView:
    """`LineAmounts` for resolvers: stated and net values per line id (unrounded, after discounts)."""

    def __init__(self, request: QuoteRequest) -> None:
        self._request = request
        self._inclusive = request.prices_include_tax
        self._stated = {line.id: line.unit_price * line.quantity - line.discount for line in request.lines}
        self._lines = {line.id: line for line in request.lines}

    def stated(self, line_id: str) -> Decimal:
        return self._stated[line_id]

    def net(self, line_id: str, rate: Decimal) -> Decimal:
        value = self._stated[line_id]
        return value * HUNDRED / (HUNDRED + rate) if self._inclusive and rate else value

    def unit_net(self, line_id: str, rate: Decimal) -> Decimal:
        return self.net(line_id, rate) / self._lines[line_id].quantity

    def cost(self, line_id: str) -> Decimal | None:
        line = self._lines[line_id]
        return None if line.unit_cost is None else line.unit_cost * line.quantity

    def shipping_stated(self) -> Decimal:
        return self._request.shipping.amount

    def shipping_net(self, rate: Decimal) -> Decimal:
        value = self._request.shipping.amount
        return value * HUNDRED / (HUNDRED + rate) if self._inclusive and rate else value


def _round_per_line(items: Sequence[Item], q: Decimal) -> None:
    for item in items:
        item.rounded = [t.quantize(q, rounding=ROUND_HALF_UP) for t in item.raw]


def _round_per_invoice(items: Sequence[Item], q: Decimal) -> None:
    """Round once per rate group (jurisdiction, level, name, rate) and hand the total back by largest remainder."""
    groups: dict[tuple[object, ...], list[tuple[Item, int]]] = {}
    for item in items:
        item.rounded = [ZERO] * len(item.raw)
        for j, c in enumerate(item.components):
            groups.setdefault((item.jurisdiction, c.level, c.name, c.rate), []).append((item, j))
    for members in groups.values():
        raw = [item.raw[j] for item, j in members]
        total = ZERO
        for value in raw:
            total += value
        floors = [value.quantize(q, rounding=ROUND_FLOOR) for value in raw]
        left = total.quantize(q, rounding=ROUND_HALF_UP)
        for value in floors:
            left -= value
        units = int(left / q)
        if units > 0:  # largest remainders first; sorted() is stable, so ties go to the earlier line
            remainders = [value - floor for value, floor in zip(raw, floors)]
            for index in sorted(range(len(raw)), key=remainders.__getitem__, reverse=True)[:units]:
                floors[index] += q
        for (item, j), value in zip(members, floors):
            item.rounded[j] = value


def rounded_total(items: Sequence[Item], policy: str, q: Decimal) -> Decimal:
    """The tax total under `policy` without touching the items (for reporting the policy not chosen)."""
    total = ZERO
    if policy == "invoice":
        groups: dict[tuple[object, ...], Decimal] = {}
        for item in items:
            for c, raw in zip(item.components, item.raw):
                key = (item.jurisdiction, c.level, c.name, c.rate)
                groups[key] = groups.get(key, ZERO) + raw
        for value in groups.values():
            total += value.quantize(q, rounding=ROUND_HALF_UP)
        return total
    for item in items:
        for raw in item.raw:
            total += raw.quantize(q, rounding=ROUND_HALF_UP)
    return total


def _apply_rounding(items: Sequence[Item], policy: str, q: Decimal) -> Decimal:
    (_round_per_invoice if policy == "invoice" else _round_per_line)(items, q)
    total = ZERO
    for item in items:
        total += item.tax()
    return total


def format_rate(rate: Decimal) -> str:
    """A percent as the contract writes it: "19", "7.25", "25.5"."""
    text = f"{rate.normalize():f}"
    return text


def _total_rate(item: Item) -> Decimal:
    comps = item.components
    if len(comps) == 1:
        return comps[0].rate * comps[0].base_fraction
    return sum((c.rate * c.base_fraction for c in comps), ZERO)


def _effective_rate(items: Sequence[Item], fallback: Decimal) -> Decimal:
    """The one rate of `items` when they share it, else their net-weighted average rounded to 0.01."""
    rates = {_total_rate(item) for item in items if item.stated}
    if len(rates) == 1:
        return rates.pop()
    if not rates:
        return fallback
    weights = sum((item.net for item in items), ZERO)
    weighted = sum((item.net * _total_rate(item) for item in items), ZERO)
    return (weighted / weights).quantize(CENT, rounding=ROUND_HALF_UP) if weights else fallback
