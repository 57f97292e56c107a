"""Frozen dataclasses in and out of the tax engine, and the resolver interface.

Flow of one quote (see tax_rules/README.md):

    QuoteRequest ─► categories (per line) ─► dispatch by ship-to country ─► resolver.resolve(ResolverInput) ─► Resolution
                                                                                                                │
    Quote ◄──────────────────────────── calculate (inclusive/exclusive, discounts, rounding, allocation) ◄──────┘

Resolvers only *decide* (jurisdiction, scheme, rate components with their rule, whether the seller collects, why);
all arithmetic on money is central in `calculate.py`, so every jurisdiction rounds and allocates the same way.
Amounts are `Decimal` in the request's currency; rates are percents (`Decimal("25.5")`). Never floats.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from .dated import RuleRef
from .enums import Category, Level, Scheme, ShippingMode  # noqa: F401 - re-exported: model is the public import path

ZERO = Decimal(0)


# ---------------------------------------------------------------------------------------------------------- request


@dataclass(frozen=True, slots=True)
class Address:
    """`region` is the ISO 3166-2 subdivision code without the country prefix (`"CA"`), or None."""

    country: str
    region: str | None = None
    postal_code: str | None = None
    city: str | None = None


@dataclass(frozen=True, slots=True)
class Customer:
    """`type` is `"B2C"` or `"B2B"`; `vat_id` is checked offline with python-stdnum by the resolver that needs it."""

    type: str = "B2C"
    vat_id: str | None = None

    @property
    def is_business(self) -> bool:
        return self.type == "B2B"


@dataclass(frozen=True, slots=True)
class Registration:
    """One registration the seller holds, e.g. `IOSS` + number, `VAT` + country + number, `US_SALES_TAX` + `US-CA`.

    `region` is normalised to the full form `"US-CA"` when the request gives `"CA"` for a US registration.
    """

    scheme: str
    country: str | None = None
    region: str | None = None
    number: str | None = None


@dataclass(frozen=True, slots=True)
class Turnover:
    """EU-wide intra-EU B2C distance sales (goods + TBE services) in EUR, for the €10,000 threshold."""

    previous_year: Decimal = ZERO
    current_year: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class SellerProfile:
    """Where the seller is established and which registrations it holds; the engine decides schemes from these."""

    established: str
    registrations: tuple[Registration, ...] = ()
    eu_b2c_cross_border_turnover_eur: Turnover = field(default_factory=Turnover)

    def has(self, scheme: str, country: str | None = None, region: str | None = None) -> bool:
        """True when a registration of `scheme` exists (matching `country` / `region` when given)."""
        return self.find(scheme, country, region) is not None

    def find(self, scheme: str, country: str | None = None, region: str | None = None) -> Registration | None:
        """The first registration of `scheme` matching `country` / `region` when given, else None."""
        for reg in self.registrations:
            if reg.scheme != scheme:
                continue
            if country is not None and reg.country != country:
                continue
            if region is not None and reg.region != region:
                continue
            return reg
        return None

    def all(self, scheme: str) -> tuple[Registration, ...]:
        return tuple(r for r in self.registrations if r.scheme == scheme)


@dataclass(frozen=True, slots=True)
class Line:
    """One order line. `unit_price` is gross or net per `QuoteRequest.prices_include_tax`; `discount` is an amount off
    the line total (not per unit), stated the same way. `unit_cost` never enters a tax base (customs facts only)."""

    id: str
    unit_price: Decimal
    quantity: int
    hs_code: str | None = None
    category: Category | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    description: str | None = None
    unit_cost: Decimal | None = None
    discount: Decimal = ZERO
    requires_shipping: bool = True


@dataclass(frozen=True, slots=True)
class Shipping:
    """Delivery charged to the customer; stated gross or net like the lines."""

    amount: Decimal = ZERO
    separately_stated: bool = True
    by_common_carrier: bool | None = None
    """Delivered by a common carrier (US: e.g. CA Reg. 1628); None when not stated."""


@dataclass(frozen=True, slots=True)
class QuoteRequest:
    """A quote request (the contract's request JSON, validated and converted).

    `exchange_rates` maps a currency code to how many units of it one unit of `currency` buys (`{"EUR": "0.92"}` on a
    USD quote). Threshold tests (€150, £135, S$400 ...) use a supplied rate first, else the stated rate from
    `data/fx/stated_rates.csv` (and the quote says which).
    """

    date: date
    currency: str
    ship_from: Address
    ship_to: Address
    seller: SellerProfile
    lines: tuple[Line, ...]
    customer: Customer = field(default_factory=Customer)
    shipping: Shipping = field(default_factory=Shipping)
    prices_include_tax: bool = False
    rounding: str = "line"
    exchange_rates: Mapping[str, Decimal] = field(default_factory=dict)
    local_rates: Any = None
    """US local rate table: a `tax_rules.us_local.LocalRateTable`, or the name of one registered with
    `us_local.register_local_rates` (JSON: `"local_rates": "sample"`). None = state rate only (the quote warns)."""


# ----------------------------------------------------------------------------------------- resolver interface


@dataclass(frozen=True, slots=True)
class CategoryDecision:
    """The category of a line and what decided it (explicit category, HS code, HS code + attribute, or default)."""

    category: Category
    decided_by: str
    reason: str


@dataclass(frozen=True, slots=True)
class RateComponent:
    """One rate applied to a line (or shipping), with the rule that set it.

    - `rate` is a percent.
    - `base_fraction` scales the taxable base (ID: 11/12 of the price for non-luxury goods from 2025).
    - `exempt_per_unit` exempts the first amount of each unit's net price (MA: first $175 per clothing item).
    """

    level: Level
    name: str
    rate: Decimal
    rule: RuleRef
    base_fraction: Decimal = Decimal(1)
    exempt_per_unit: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class LineDecision:
    """What a resolver decided for one line.

    `components` are the rates that apply in the destination (for IMPORT_AT_BORDER too, so the quote shows the rate);
    `collected` says whether the seller charges them at checkout. Empty components = rate 0 (exempt, zero-rated,
    reverse charge, out of scope, no nexus; the scheme and `reasons` say which).
    """

    line_id: str
    category: Category
    jurisdiction: str
    scheme: Scheme
    components: tuple[RateComponent, ...]
    collected: bool
    reasons: tuple[str, ...] = ()

    @property
    def rate(self) -> Decimal:
        return sum((c.rate for c in self.components), ZERO)


@dataclass(frozen=True, slots=True)
class ShippingDecision:
    """How shipping is taxed: see `ShippingMode`. `components` are used only in `OWN_RATE` mode."""

    mode: ShippingMode
    jurisdiction: str
    scheme: Scheme
    components: tuple[RateComponent, ...] = ()
    collected: bool = True
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CustomsFacts:
    """Customs facts where value or cost matters (low-value regimes, duty). Amounts in the quote currency unless
    the field names another currency. `threshold_value` is the value tested against the regime's threshold, in
    `threshold_currency` (EUR for the EU: it fills the contract's `intrinsic_value_eur`)."""

    intrinsic_value: Decimal
    threshold_value: Decimal
    threshold_currency: str
    low_value_regime: str | None
    duty: Decimal = ZERO
    duty_currency: str = "EUR"
    duty_items: int = 0
    import_tax: Decimal = ZERO
    cost_value: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Resolution:
    """A resolver's whole answer for one request."""

    jurisdiction: str
    scheme: Scheme
    lines: tuple[LineDecision, ...]
    shipping: ShippingDecision
    customs: CustomsFacts | None = None
    explanation: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    report_invoice_rounding: bool = False
    """True where both line and invoice rounding totals are reported (EU)."""


class LineAmounts(Protocol):
    """Amounts a resolver may need for threshold tests (implemented in `calculate.py`). All unrounded Decimals in the
    quote currency, after discounts."""

    def stated(self, line_id: str) -> Decimal:
        """unit_price × quantity − discount, as stated (gross or net)."""

    def net(self, line_id: str, rate: Decimal) -> Decimal:
        """The line's value net of tax at `rate` percent (= stated when prices exclude tax)."""

    def unit_net(self, line_id: str, rate: Decimal) -> Decimal:
        """`net(...)` divided by the quantity."""

    def cost(self, line_id: str) -> Decimal | None:
        """unit_cost × quantity, or None when no cost was given."""

    def shipping_stated(self) -> Decimal:
        """Shipping amount as stated."""

    def shipping_net(self, rate: Decimal) -> Decimal:
        """Shipping net of tax at `rate` percent."""


class Fx(Protocol):
    """Converts quote-currency amounts for threshold tests (implemented in `fx.py`)."""

    def convert(self, amount: Decimal, to_currency: str) -> Decimal:
        """`amount` (quote currency) in `to_currency`, unrounded; raises TaxInputError when no rate is known."""

    def describe(self, to_currency: str) -> str:
        """Words for the explanation: which rate was used and where it came from."""

    def rate(self, to_currency: str) -> Decimal:
        """Units of `to_currency` per one unit of the quote currency."""

    def is_stated(self, to_currency: str) -> bool:
        """True when the conversion uses the stated (indicative) table rather than a supplied rate."""


@dataclass(frozen=True, slots=True)
class ResolverInput:
    """What every jurisdiction resolver receives: `resolve(inp: ResolverInput) -> Resolution`.

    `rules` is what the resolver module's own `load_rules(data_dir)` returned (validated, cached per process).
    """

    request: QuoteRequest
    rules: Any
    categories: Mapping[str, CategoryDecision]
    amounts: LineAmounts
    fx: Fx


class ResolverModule(Protocol):
    """Shape of `eu.py`, `uk.py`, `us.py`, `sea.py`, `anz.py`."""

    def load_rules(self, data_dir: Any) -> Any: ...

    def resolve(self, inp: ResolverInput) -> Resolution: ...


# ---------------------------------------------------------------------------------------------------------- response


@dataclass(frozen=True, slots=True)
class Component:
    level: str
    name: str
    rate: Decimal
    tax_amount: Decimal


@dataclass(frozen=True, slots=True)
class TaxLine:
    id: str
    category: Category
    jurisdiction: str
    scheme: Scheme
    rate: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal
    components: tuple[Component, ...]
    explanation: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ShippingTax:
    taxable: bool
    jurisdiction: str
    rate: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal


@dataclass(frozen=True, slots=True)
class Customs:
    intrinsic_value: Decimal
    intrinsic_value_eur: Decimal | None
    low_value_regime: str | None
    duty: Decimal
    duty_currency: str
    duty_items: int
    import_tax: Decimal
    threshold_value: Decimal | None = None
    threshold_currency: str | None = None
    cost_value: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Quote:
    """The contract's quote response. `tax_total_line_rounding` / `tax_total_invoice_rounding` are both filled where
    the resolver asks for both to be reported (EU); `tax_total` follows the request's rounding policy."""

    rules_version: str
    currency: str
    jurisdiction: str
    scheme: Scheme
    lines: tuple[TaxLine, ...]
    shipping: ShippingTax
    taxable_total: Decimal
    tax_total: Decimal
    customs: Customs | None
    explanation: tuple[str, ...]
    warnings: tuple[str, ...]
    rounding: str = "line"
    tax_total_line_rounding: Decimal | None = None
    tax_total_invoice_rounding: Decimal | None = None
