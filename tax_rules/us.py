"""US sales tax resolver (ship-to country `US`).

Decision order for a quote, each step written into the explanation:

1. The destination state (`ship_to.region`, e.g. `NY`) and its state rate on the date (`data/us/state_rates.csv`).
   A state without a statewide sales tax (AK, DE, MT, NH, OR) is `OUT_OF_SCOPE` unless a local rate table gives AK
   local rates and the seller is registered there.
2. Nexus: the seller collects only in states listed in its registrations (`US_SALES_TAX` + `US-XX`). Any other state
   is `NO_NEXUS` with nothing collected; the explanation quotes the state's economic-nexus threshold so the seller can
   check it (`python -m tax_rules nexus`). Remote sellers source to the destination everywhere.
3. Per line, the state's product rule for the line's category (`data/us/product_rules.csv`): exemptions (clothing in
   PA, NJ, MN, VT; groceries in most states), reduced rates (grocery rates), per-item thresholds (NY < $110 exempt,
   MA first $175 and RI first $250 of each item exempt, CT luxury rate above $1,000). Children's clothing follows the
   clothing rule. A product rule decides the *state* component; local components apply to the same base unless the
   whole line is exempt (the quote warns where localities may differ).
4. Local components (county, city, district) from a shop-provided local rate table (`us_local.py`); without one the
   state component stands alone and the quote warns that local tax is not included.
5. Shipping per the state's rule (`data/us/shipping_rules.csv`): exempt if separately stated, follows the goods
   (CONDITIONAL), or always taxable (HI).

Per-item thresholds are USD amounts: a quote in another currency converts each item's price with the request's
exchange rate (or the stated table, with a warning). Goods shipped from abroad also get customs facts: the USD 800
import de minimis and its suspensions (`data/us/import_de_minimis.csv`); duties are not sales tax and not estimated.
B2B customers are taxed like consumers: resale/exemption certificates are not modelled (the quote warns).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from .dated import DatedRow
from .errors import TaxInputError
from .model import (
    Category, CustomsFacts, Level, Line, LineDecision, RateComponent, Resolution, ResolverInput, Scheme, ShippingDecision,
    ShippingMode,
)
from .us_data import ProductRule, UsRules, load_us_rules, verify_warnings
from .us_local import LocalRates, resolve_local_rates

ZERO = Decimal(0)
T = TypeVar("T")


def load_rules(data_dir: Path) -> UsRules:
    return load_us_rules(Path(data_dir))


def pct(value: Decimal) -> str:
    """`Decimal('7.250')` → `'7.25'` for explanations."""
    text = format(value.normalize(), "f")
    return text


def cite(row: DatedRow, what: str, *, with_note: bool = True) -> str:
    """`what (valid since 2025-01-01; <row note>; source: ...)`: the words every decision carries."""
    note = getattr(row.value, "note", "") if with_note else ""
    return f"{what} ({row.ref(what).period()}{'; ' + note if note else ''}; source: {row.source})"


@dataclass(frozen=True, slots=True)
class StateContext:
    """One quote's destination state; `memo` caches what is the same for every line (words, components, rules),
    so a 100-line order builds each rule's words once."""

    state: str
    jurisdiction: str
    on: date
    rate_row: DatedRow
    local: LocalRates | None
    memo: dict = field(default_factory=dict)

    def once(self, key: object, make: Callable[[], T]) -> T:
        if key not in self.memo:
            self.memo[key] = make()
        return self.memo[key]  # type: ignore[no-any-return]


def _state_of(inp: ResolverInput, rules: UsRules) -> str:
    region = (inp.request.ship_to.region or "").strip().upper()
    if region.startswith("US-"):
        region = region[3:]
    if not region:
        raise TaxInputError("MISSING_FIELD", "a US ship-to address needs its state in ship_to.region (e.g. \"CA\")",
                            "ship_to.region")
    if region not in rules.state_rates.keys():
        raise TaxInputError("INVALID_REGION", f"{region!r} is not one of the 50 US states or DC "
                            "(territories such as PR are not supported)", "ship_to.region")
    return region


def _context(inp: ResolverInput, rules: UsRules, warnings: list[str]) -> StateContext:
    state = _state_of(inp, rules)
    on = inp.request.date
    row = rules.state_rates.on(state, on)
    if row is None:
        first = rules.state_rates.history(state)[0].valid_from
        raise TaxInputError("DATE_OUT_OF_RANGE", f"no {state} state rate for {on}: US rules start {first}", "date")
    table = resolve_local_rates(getattr(inp.request, "local_rates", None))
    local = None
    postal = inp.request.ship_to.postal_code
    if table is None:
        if row.value.rate or state == "AK":
            warnings.append(f"local tax is not included: no US local rate table was supplied, so only the {state} "
                            "state component is charged (county, city and district taxes may apply)")
    else:
        local = table.lookup(state, postal, on)
        if local is None:
            warnings.append(f"local tax is not included: the local rate table {table.name!r} has no {state} row for "
                            f"ZIP {postal or '(none)'} on {on}")
    return StateContext(state, f"US-{state}", on, row, local)


def _local_components(ctx: StateContext) -> tuple[RateComponent, ...]:
    local = ctx.local
    if local is None:
        return ()
    return ctx.once("local", lambda: tuple(
        RateComponent(Level(lv.level), f"{lv.name} {lv.level} tax", lv.rate, local.rule)
        for lv in local.levels if lv.name))


def _state_component(ctx: StateContext, rate: Decimal, exempt_per_unit: Decimal = ZERO) -> RateComponent:
    name = f"{ctx.state} state sales tax"
    return ctx.once(("state", rate, exempt_per_unit), lambda: RateComponent(
        Level.STATE, name, rate, ctx.rate_row.ref(name), exempt_per_unit=exempt_per_unit))


def _rule_key(line: Line, category: Category) -> str:
    if category == Category.CHILDRENS_CLOTHING:
        return "clothing"
    if category == Category.MEDICAL and line.attributes.get("prescription"):
        return "medical_prescription"
    return category.value


def _product_rule(rules: UsRules, state: str, key: str, on: date) -> DatedRow[ProductRule] | None:
    return rules.product_rules.on((state, key), on) or rules.product_rules.on(("*", key), on)


@dataclass(frozen=True, slots=True)
class StatePart:
    """What the product rule decided for the state component: its rate (None = exempt), per-unit exemption, words."""

    rate: Decimal | None
    exempt_per_unit: Decimal
    reason: str | None
    exempt_all_levels: bool


def _apply_rule(inp: ResolverInput, ctx: StateContext, line: Line, key: str,
                row: DatedRow[ProductRule] | None) -> StatePart:
    """The state component of a line under its category rule (no rule: the general state rate)."""
    state_rate = ctx.rate_row.value.rate
    if row is None:
        return StatePart(state_rate, ZERO, None, False)
    rule = row.value
    label = f"{ctx.state} {key.replace('_', ' ')} rule: {rule.note or rule.kind}"

    prefix = ctx.once(("cite", key), lambda: cite(row, label, with_note=False))

    def say(words: str) -> str:
        return prefix + words

    cancelled = [a for a in rule.taxable_if if line.attributes.get(a)]
    if cancelled and rule.kind == "exempt":
        return StatePart(state_rate, ZERO, say(f": attribute {cancelled[0]!r} makes this item taxable"), False)
    if rule.kind == "exempt":
        return StatePart(None, ZERO, say(": exempt"), True)
    if rule.kind == "taxable":
        return StatePart(state_rate, ZERO, say(f": taxable at {pct(state_rate)} %"), False)
    if rule.kind == "reduced":
        assert rule.rate is not None
        words = f": state rate {pct(rule.rate)} % instead of {pct(state_rate)} %"
        return StatePart(rule.rate or None, ZERO, say(words), not rule.rate)
    assert rule.amount is not None
    return _per_item_rule(inp, ctx, line, rule, say)


def _per_item_rule(inp: ResolverInput, ctx: StateContext, line: Line, rule: ProductRule,
                   say: Callable[[str], str]) -> StatePart:
    """NY under $110, MA/RI first $175/$250 exempt, CT luxury rate: tested on each item's net price in USD."""
    state_rate = ctx.rate_row.value.rate
    assert rule.amount is not None
    unit = inp.amounts.unit_net(line.id, state_rate)
    usd_per_unit = Decimal(1) if inp.request.currency == "USD" else inp.fx.convert(Decimal(1), "USD")
    unit = unit * usd_per_unit
    value, limit = f"USD {unit:.2f}", f"USD {rule.amount:.2f}"
    if rule.kind == "exempt_below":
        if unit < rule.amount:
            return StatePart(None, ZERO, say(f": {value} per item is under {limit}, exempt from the state tax"), False)
        return StatePart(state_rate, ZERO, say(f": {value} per item is not under {limit}, taxable"), False)
    if rule.kind == "exempt_up_to":
        words = (f": the first {limit} of each item is exempt, only the excess is taxed" if unit > rule.amount
                 else f": {value} per item is within the exempt {limit}")
        return StatePart(state_rate, rule.amount / usd_per_unit, say(words), False)
    assert rule.rate is not None  # luxury_above
    if unit > rule.amount:
        return StatePart(rule.rate, ZERO, say(f": {value} per item exceeds {limit}, taxed at {pct(rule.rate)} %"),
                         False)
    return StatePart(state_rate, ZERO, say(f": {value} per item does not exceed {limit}"), False)


def _line_decision(inp: ResolverInput, rules: UsRules, ctx: StateContext, line: Line,
                   warnings: list[str]) -> LineDecision:
    category = inp.categories[line.id].category
    key = _rule_key(line, category)
    row = ctx.once(("rule", key), lambda: _product_rule(rules, ctx.state, key, ctx.on))
    if row is None or (row.value.kind in ("exempt", "reduced", "taxable") and not row.value.taxable_if):
        part = ctx.once(("part", key), lambda: _apply_rule(inp, ctx, line, key, row))
    else:  # the outcome depends on the line's price or attributes
        part = _apply_rule(inp, ctx, line, key, row)
    reasons = [inp.categories[line.id].reason, ctx.once("state words", lambda: cite(
        ctx.rate_row, f"{ctx.state} state sales tax {pct(ctx.rate_row.value.rate)} %"))]
    if part.reason:
        reasons.append(part.reason)
    if part.exempt_all_levels:
        if ctx.local is not None and ctx.local.total:
            warnings.append(f"line {line.id}: {ctx.state} exempts {key.replace('_', ' ')} from state tax; local "
                            "jurisdictions may still tax it (local exemptions are not in the local rate table)")
        return LineDecision(line.id, category, ctx.jurisdiction, Scheme.EXEMPT, (), False, tuple(reasons))
    components = []
    if part.rate:
        components.append(_state_component(ctx, part.rate, part.exempt_per_unit))
    local = _local_components(ctx)
    if local:
        components.extend(local)
        reasons.append(ctx.once("local words", lambda: _local_words(inp, ctx)))
        if part.rate is None and key == "clothing":
            warnings.append(f"line {line.id}: {ctx.state} localities decide themselves whether to exempt this "
                            "clothing (New York City does); the local rates from the table were applied")
    if not any(c.rate for c in components):
        return LineDecision(line.id, category, ctx.jurisdiction, Scheme.EXEMPT, (), False, tuple(reasons))
    if key == "digital" and ctx.state not in ("CA", "LA"):
        warnings.append(f"line {line.id}: taxability of digital products in {ctx.state} is not encoded per state; "
                        "treated as taxable")
    if key == "food" and local:
        warnings.append(f"line {line.id}: local grocery rates may differ from the general local rates applied")
    return LineDecision(line.id, category, ctx.jurisdiction, Scheme.US_SALES_TAX, tuple(components), True,
                        tuple(reasons))


def _local_words(inp: ResolverInput, ctx: StateContext) -> str:
    local = ctx.local
    assert local is not None
    return (f"local rates for ZIP {inp.request.ship_to.postal_code}: {local.describe()} ({local.rule.period()}; "
            f"source: {local.rule.source})")


def _shipping(inp: ResolverInput, rules: UsRules, ctx: StateContext) -> ShippingDecision:
    row = rules.shipping.on(ctx.state, ctx.on)
    assert row is not None  # continuous table with the same coverage as the state rates
    rule = row.value.rule
    stated = inp.request.shipping.separately_stated
    text = cite(row, f"{ctx.state} shipping rule {rule}")
    if rule == "ALWAYS_TAXABLE":
        components = (_state_component(ctx, ctx.rate_row.value.rate), *_local_components(ctx))
        return ShippingDecision(ShippingMode.OWN_RATE, ctx.jurisdiction, Scheme.US_SALES_TAX, components, True,
                                (text + ": delivery charges are taxable",))
    own_delivery = ctx.state == "CA" and getattr(inp.request.shipping, "by_common_carrier", None) is False
    if rule == "EXEMPT_IF_SEPARATELY_STATED" and stated and own_delivery:
        return ShippingDecision(ShippingMode.FOLLOW_LINES, ctx.jurisdiction, Scheme.US_SALES_TAX, (), True, (
            text + ": delivery in the seller's own vehicle (not by common carrier) is taxable with the goods",))
    if rule == "EXEMPT_IF_SEPARATELY_STATED" and stated:
        return ShippingDecision(ShippingMode.NOT_TAXABLE, ctx.jurisdiction, Scheme.US_SALES_TAX, (), True,
                                (text + ": separately stated shipping is not taxable",))
    why = ("shipping is not separately stated, so it follows the taxability of the goods" if rule != "CONDITIONAL"
           else "shipping is taxable to the extent the goods shipped are taxable")
    return ShippingDecision(ShippingMode.FOLLOW_LINES, ctx.jurisdiction, Scheme.US_SALES_TAX, (), True,
                            (f"{text}: {why}",))


def _nexus_hint(rules: UsRules, state: str, on: date) -> str:
    from .nexus import describe_threshold

    return describe_threshold(rules.nexus, state, on)


def _not_collected(inp: ResolverInput, ctx: StateContext, scheme: Scheme, reason: str,
                   warnings: tuple[str, ...] = ()) -> Resolution:
    """Every line and shipping at rate 0, no components, nothing collected (NO_NEXUS)."""
    lines = tuple(LineDecision(line.id, inp.categories[line.id].category, ctx.jurisdiction, scheme, (), False,
                               (reason,)) for line in inp.request.lines)
    shipping = ShippingDecision(ShippingMode.NOT_TAXABLE, ctx.jurisdiction, scheme, (), False,
                                (f"nothing is collected on shipping ({scheme.value})",))
    return Resolution(ctx.jurisdiction, scheme, lines, shipping, explanation=(reason,), warnings=warnings)


def _no_sales_tax(inp: ResolverInput, ctx: StateContext, warnings: tuple[str, ...]) -> Resolution:
    """A state without a statewide sales tax: OUT_OF_SCOPE lines that show the state component at 0 %."""
    reason = cite(ctx.rate_row, f"{ctx.state} levies no statewide sales tax") + ": nothing to collect"
    zero = (_state_component(ctx, ZERO),)
    lines = tuple(LineDecision(line.id, inp.categories[line.id].category, ctx.jurisdiction, Scheme.OUT_OF_SCOPE,
                               zero, True, (reason,)) for line in inp.request.lines)
    shipping = ShippingDecision(ShippingMode.NOT_TAXABLE, ctx.jurisdiction, Scheme.OUT_OF_SCOPE, (), False,
                                (f"{ctx.state} has no sales tax on shipping either",))
    return Resolution(ctx.jurisdiction, Scheme.OUT_OF_SCOPE, lines, shipping, explanation=(reason,), warnings=warnings)


def _registered(inp: ResolverInput, state: str) -> bool:
    seller = inp.request.seller
    return seller.has("US_SALES_TAX", region=f"US-{state}") or seller.has("US_SALES_TAX", region=state)


def _import_facts(inp: ResolverInput, rules: UsRules, on: date) -> tuple[CustomsFacts | None, list[str], list[str]]:
    """Customs facts for goods shipped into the US from abroad: the $800 de minimis and its suspension."""
    request = inp.request
    if request.ship_from.country == "US":
        return None, [], []
    goods = [line for line in request.lines
             if inp.categories[line.id].category not in (Category.DIGITAL, Category.GIFT_CARD)]
    if not goods:
        return None, [], []
    origin = request.ship_from.country
    row = rules.de_minimis.on(origin, on) or rules.de_minimis.on("*", on)
    if row is None:
        return None, [], []
    value = sum((inp.amounts.stated(line.id) for line in goods), ZERO)
    words, warnings = [], []
    usd = value if request.currency == "USD" else inp.fx.convert(value, "USD")
    if request.currency != "USD":
        words.append(f"shipment value in USD: {inp.fx.describe('USD')}")
        if getattr(inp.fx, "is_stated", lambda _c: False)("USD"):
            warnings.append("the US de minimis test used a stated indicative USD rate; supply exchange_rates.USD")
    regime = row.value
    relieved = regime.regime == "de_minimis" and usd <= regime.threshold
    if regime.regime == "de_minimis":
        outcome = "<= USD {:,.0f} de minimis: duty-free entry" if relieved else "> USD {:,.0f} de minimis: " \
            "formal duties apply"
        words.append(cite(row, f"US import from {origin}: shipment value USD {usd:,.2f} "
                          + outcome.format(regime.threshold)))
    else:
        words.append(cite(row, f"US import from {origin}: de minimis {regime.regime}"))
    words.append("customs duties are outside sales tax and are not estimated here")
    costs = [c for c in (inp.amounts.cost(line.id) for line in goods) if c is not None]
    facts = CustomsFacts(intrinsic_value=value, threshold_value=usd, threshold_currency="USD",
                         low_value_regime="US_DE_MINIMIS" if relieved else None, duty_currency="USD",
                         cost_value=sum(costs, ZERO) if costs else None)
    return facts, words, warnings


def resolve(inp: ResolverInput) -> Resolution:
    resolution = _resolve_tax(inp)
    facts, words, warnings = _import_facts(inp, inp.rules, inp.request.date)
    if facts is None:
        return resolution
    return replace(resolution, customs=facts, explanation=(*resolution.explanation, *words),
                   warnings=(*resolution.warnings, *warnings))


def _resolve_tax(inp: ResolverInput) -> Resolution:
    rules: UsRules = inp.rules
    warnings: list[str] = []
    ctx = _context(inp, rules, warnings)
    if not ctx.rate_row.value.rate and not (ctx.local and ctx.local.total):
        return _no_sales_tax(inp, ctx, tuple(warnings))
    if not _registered(inp, ctx.state):
        reason = (f"NO_NEXUS: the seller holds no US_SALES_TAX registration for {ctx.jurisdiction}, so no {ctx.state} "
                  f"sales tax is collected (0.00); {_nexus_hint(rules, ctx.state, ctx.on)}")
        return _not_collected(inp, ctx, Scheme.NO_NEXUS, reason)
    explanation = [f"US_SALES_TAX: the seller is registered in {ctx.jurisdiction}; remote sales are sourced to the "
                   f"destination ({ctx.state}, ZIP {inp.request.ship_to.postal_code or 'not given'})"]
    if inp.request.customer.is_business:
        warnings.append("B2B sale taxed like a consumer sale: resale and exemption certificates are not modelled")
    lines = tuple(_line_decision(inp, rules, ctx, line, warnings) for line in inp.request.lines)
    shipping = _shipping(inp, rules, ctx)
    warnings.extend(verify_warnings([reason for line in lines for reason in line.reasons]))
    stated_fx = getattr(inp.fx, "is_stated", lambda _c: False)
    if inp.request.currency != "USD" and stated_fx("USD") and any(
            " per item " in reason for line in lines for reason in line.reasons):
        warnings.append(f"per-item USD thresholds were tested with a stated indicative rate: "
                        f"{inp.fx.describe('USD')}")
    return Resolution(ctx.jurisdiction, Scheme.US_SALES_TAX, lines, shipping, explanation=tuple(explanation),
                      warnings=tuple(dict.fromkeys(warnings)))
