"""`taxQuote` and `nexusStatus`: the tax_rules contract (contracts/tax-quote.md) in camelCase.

Inputs are converted to the contract's snake_case JSON and handed to `tax_rules.quote_from_json` /
`nexus_from_json`, so the API and `python -m tax_rules` can never disagree. A `TaxInputError` becomes a GraphQL error
with the engine's code and the offending field in camelCase (`lines[0].hsCode`).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

import tax_rules
from app.errors import InvalidInput
from app.graphql.permissions import Authenticated
from tax_rules.errors import TaxInputError


@strawberry.input
class TaxAddressInput:
    country: str
    region: str | None = None
    postal_code: str | None = None
    city: str | None = None


@strawberry.input
class TaxCustomerInput:
    type: str = "B2C"
    vat_id: str | None = None


@strawberry.input
class TaxRegistrationInput:
    scheme: str
    country: str | None = None
    region: str | None = None
    number: str | None = None


@strawberry.input
class TurnoverInput:
    previous_year: Decimal = Decimal(0)
    current_year: Decimal = Decimal(0)


@strawberry.input
class TaxSellerInput:
    established: str
    registrations: list[TaxRegistrationInput] = strawberry.field(default_factory=list)
    eu_b2c_cross_border_turnover_eur: TurnoverInput | None = None


@strawberry.input
class TaxLineInput:
    id: str
    unit_price: Decimal
    quantity: int
    hs_code: str | None = None
    category: str | None = None
    attributes: JSON | None = None
    description: str | None = None
    unit_cost: Decimal | None = None
    discount: Decimal | None = None
    requires_shipping: bool | None = None


@strawberry.input
class TaxShippingInput:
    amount: Decimal = Decimal(0)
    separately_stated: bool | None = None
    by_common_carrier: bool | None = None


@strawberry.input(description="A quote request; the same fields as the tax_rules JSON contract, in camelCase.")
class TaxQuoteInput:
    date: date
    currency: str
    ship_from: TaxAddressInput
    ship_to: TaxAddressInput
    seller: TaxSellerInput
    lines: list[TaxLineInput]
    prices_include_tax: bool | None = None
    rounding: str | None = None
    customer: TaxCustomerInput | None = None
    shipping: TaxShippingInput | None = None
    local_rates: str | None = strawberry.field(
        default=None, description="Name of a registered US local rate table (e.g. \"sample\"); none = state only.")
    exchange_rates: JSON | None = strawberry.field(
        default=None, description="Units of each currency per one unit of the quote currency, e.g. {\"EUR\": \"0.92\"}.")


@strawberry.input
class NexusPeriodInput:
    period_start: date
    period_end: date
    sales: Decimal
    transactions: int


@strawberry.input
class NexusInput:
    date: date
    region: str
    history: list[NexusPeriodInput]


@strawberry.type
class TaxComponent:
    level: str
    name: str
    rate: Decimal
    tax_amount: Decimal


@strawberry.type
class TaxQuoteLine:
    id: str
    category: str
    jurisdiction: str
    scheme: str
    rate: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal
    components: list[TaxComponent]
    explanation: list[str]


@strawberry.type
class TaxQuoteShipping:
    taxable: bool
    jurisdiction: str | None
    rate: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal


@strawberry.type
class TaxCustoms:
    intrinsic_value: Decimal | None
    intrinsic_value_eur: Decimal | None
    low_value_regime: str | None
    duty: Decimal
    duty_currency: str | None
    duty_items: int
    import_tax: Decimal


@strawberry.type
class TaxQuote:
    rules_version: str
    currency: str
    jurisdiction: str
    scheme: str
    lines: list[TaxQuoteLine]
    shipping: TaxQuoteShipping | None
    taxable_total: Decimal
    tax_total: Decimal
    customs: TaxCustoms | None
    explanation: list[str]
    warnings: list[str]
    raw: JSON = strawberry.field(description="The engine's full answer in the contract's JSON (snake_case), "
                                             "including fields this type does not list yet.")


@strawberry.type
class NexusThreshold:
    sales: Decimal | None
    transactions: int | None
    test: str | None
    period: str | None


@strawberry.type
class NexusStatus:
    region: str
    has_nexus: bool
    threshold: NexusThreshold | None
    explanation: list[str]
    raw: JSON


def to_contract(value: Any) -> Any:
    """A strawberry input (tree) → the contract's JSON: snake_case keys, ISO dates, decimal strings, no nulls."""
    if isinstance(value, list):
        return [to_contract(v) for v in value]
    if isinstance(value, (date, Decimal)):
        return value.isoformat() if isinstance(value, date) else str(value)
    if hasattr(value, "__strawberry_definition__"):
        return {k: to_contract(v) for k, v in vars(value).items() if v is not None and v is not strawberry.UNSET}
    return value


def camel_path(path: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), path)


def _pick(cls: type, data: dict[str, Any] | None, **nested: Any) -> Any:
    if data is None:
        return None
    names = cls.__strawberry_definition__.fields  # type: ignore[attr-defined]
    values = {f.python_name: data.get(f.python_name) for f in names}
    values.update(nested)
    return cls(**values)


def _quote_from_dict(data: dict[str, Any]) -> TaxQuote:
    lines = [_pick(TaxQuoteLine, line, explanation=line.get("explanation", []),
                   components=[_pick(TaxComponent, c) for c in line.get("components", [])])
             for line in data["lines"]]
    return _pick(TaxQuote, data, lines=lines, shipping=_pick(TaxQuoteShipping, data.get("shipping")),
                 customs=_pick(TaxCustoms, data.get("customs")), raw=data)


def _run(function: Any, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        return function(payload)
    except TaxInputError as exc:
        raise InvalidInput(exc.message, code=exc.code, field=camel_path(exc.path or "")) from exc


@strawberry.type
class TaxQueries:
    @strawberry.field(permission_classes=[Authenticated], description="Quote the tax of an order (no side effects).")
    def tax_quote(self, info: Info, input: TaxQuoteInput) -> TaxQuote:
        return _quote_from_dict(_run(tax_rules.quote_from_json, to_contract(input)))

    @strawberry.field(permission_classes=[Authenticated], description="US economic nexus in a state on a date.")
    def nexus_status(self, info: Info, input: NexusInput) -> NexusStatus:
        data = _run(tax_rules.nexus_from_json, to_contract(input))
        return NexusStatus(region=data["region"], has_nexus=data["has_nexus"],
                           threshold=_pick(NexusThreshold, data.get("threshold")),
                           explanation=data.get("explanation", []), raw=data)
