"""The SEA/ANZ decision flow (documented in gst_common.py), parameterised by a `Profile` and a rate chooser.

`resolve_gst(inp, rules, profile, choose_rate)` returns the `Resolution`. `choose_rate(inp, rules, line, context)`
gives the line's rate component and the words for it; `context` is `goods`, `lvg` or `digital`, so a country can
pick a different rate kind (MY LVG 10 %, ID luxury 12 %, VN 8 % reductions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from .dated import DatedRow
from .gst_common import ZERO, GstRules, Profile, Regime, cite, exempt_category, money, pct, registered, to_local
from .us_data import verify_warnings
from .model import (
    Category, CustomsFacts, Line, LineDecision, RateComponent, Resolution, ResolverInput, Scheme, ShippingDecision,
    ShippingMode,
)

RateChooser = Callable[[ResolverInput, GstRules, Line, str], tuple[RateComponent, str]]
HUNDRED = Decimal(100)
PRIORITY = (Scheme.SG_OVR_LVG, Scheme.MY_LVG, Scheme.AU_LVG, Scheme.NZ_LVG, Scheme.DOMESTIC, Scheme.IMPORT_AT_BORDER,
            Scheme.REVERSE_CHARGE, Scheme.EXEMPT, Scheme.OUT_OF_SCOPE)


@dataclass
class Flow:
    """Working state of one resolution."""

    inp: ResolverInput
    rules: GstRules
    profile: Profile
    choose: RateChooser
    is_registered: bool
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unit_values: list[Decimal] = field(default_factory=list)
    border: list[tuple[Line, RateComponent]] = field(default_factory=list)
    memo: dict = field(default_factory=dict)

    def rate(self, line: Line, context: str) -> tuple[RateComponent, str]:
        """The rate chooser's answer, computed once per distinct (context, HS code, rate-deciding attributes)."""
        key = (context, line.hs_code, bool(line.attributes.get("luxury")),
               bool(line.attributes.get("vn_reduction_excluded")))
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = self.choose(self.inp, self.rules, line, context)
        return found  # type: ignore[no-any-return]

    @property
    def country(self) -> str:
        return self.profile.country

    def regime(self, name: str) -> DatedRow[Regime] | None:
        key = ("regime", name)
        if key not in self.memo:
            self.memo[key] = self.rules.regimes.on((self.country, name), self.inp.request.date)
        return self.memo[key]  # type: ignore[no-any-return]

    def decision(self, line: Line, scheme: Scheme, components: tuple[RateComponent, ...], collected: bool,
                 reasons: list[str]) -> LineDecision:
        category = self.inp.categories[line.id]
        return LineDecision(line.id, category.category, self.country, scheme, components, collected,
                            (category.reason, *reasons))

    def local(self, amount: Decimal) -> Decimal:
        return to_local(self.inp, amount, self.profile.currency, self.notes, self.warnings)

    def threshold(self, amount: Decimal) -> str:
        return money(amount, self.profile.currency)


def _goods(flow: Flow, line: Line) -> LineDecision:
    inp, profile = flow.inp, flow.profile
    comp, rate_words = flow.rate(line, "goods")
    reasons = [rate_words]
    exempt = exempt_category(inp, flow.rules, flow.country, line)
    if exempt:
        return flow.decision(line, Scheme.EXEMPT, (), False, [exempt])
    regs = "/".join(profile.registrations)
    if inp.request.ship_from.country == flow.country:
        if not profile.domestic_retail_taxed:
            return flow.decision(line, Scheme.OUT_OF_SCOPE, (), False, [
                f"{flow.country} {profile.tax_name} is charged at manufacture or import, not on a domestic retail sale"])
        if not flow.is_registered:
            flow.warnings.append(f"the seller ships from inside {flow.country} but holds no {regs} registration: "
                                 f"{flow.country} {profile.tax_name} is not collected")
        return flow.decision(line, Scheme.DOMESTIC, (comp,), flow.is_registered,
                             reasons + [f"DOMESTIC: shipped from within {flow.country}"])
    return _import(flow, line, comp, reasons)


def _excluded_from_lvg(flow: Flow, line: Line) -> DatedRow[str] | None:
    key = ("lvg excluded", line.hs_code)
    if key not in flow.memo:
        flow.memo[key] = flow.rules.lvg_excluded(flow.country, line.hs_code, flow.inp.request.date)
    return flow.memo[key]  # type: ignore[no-any-return]


def _low_value(flow: Flow, line: Line, lvg: DatedRow[Regime], unit: Decimal, reasons: list[str]) -> LineDecision | None:
    """A goods line within the LVG limit: reverse charge (B2B), collected (registered seller) or None (to the border)."""
    profile = flow.profile
    regs = "/".join(profile.registrations)
    test = f"unit value {flow.threshold(unit)} <= {flow.threshold(lvg.value.threshold)}"
    if flow.inp.request.customer.is_business and profile.b2b_reverse_charge:
        return flow.decision(line, Scheme.REVERSE_CHARGE, (), False, reasons + [cite(
            lvg, f"REVERSE_CHARGE: {test}, sold to a business: the registered business customer accounts for "
            f"{profile.tax_name}, the supplier charges none")])
    if flow.is_registered and profile.lvg_scheme is not None:
        scheme = profile.lvg_scheme
        lvg_comp, lvg_words = flow.rate(line, "lvg")
        key = ("lvg words", scheme)
        if key not in flow.memo:
            flow.memo[key] = cite(lvg, f"{scheme.value}: goods at or below {flow.threshold(lvg.value.threshold)} "
                                  f"per item sold by a seller holding {regs} carry {profile.tax_name} collected at "
                                  "checkout")
        return flow.decision(line, scheme, (lvg_comp,), True,
                             [lvg_words, flow.memo[key], f"{scheme.value}: {test}, collected at checkout"])
    reasons.append(cite(lvg, f"{test}, but the seller holds no {regs} registration: nothing collected at checkout"))
    flow.warnings.append(f"the seller is not registered for {flow.country} low-value goods ({regs}); "
                         f"{profile.registration_hint}")
    return None


def _import(flow: Flow, line: Line, comp: RateComponent, reasons: list[str]) -> LineDecision:
    profile = flow.profile
    lvg = flow.regime("lvg") if profile.lvg_scheme else None
    effective = comp.rate * comp.base_fraction
    unit = flow.local(flow.inp.amounts.unit_net(line.id, effective if flow.is_registered else ZERO))
    flow.unit_values.append(unit)
    excluded = _excluded_from_lvg(flow, line) if lvg is not None else None
    if excluded is not None:
        prefix = str(excluded.key[1])  # type: ignore[index]
        reasons.append(cite(excluded, f"HS {prefix} ({excluded.value}) is excluded from the {flow.country} "
                            "low-value-goods regime: taxed at the border"))
    elif lvg is not None and unit <= lvg.value.threshold:
        decided = _low_value(flow, line, lvg, unit, reasons)
        if decided is not None:
            return decided
    elif lvg is not None:
        reasons.append(cite(lvg, f"unit value {flow.threshold(unit)} > {flow.threshold(lvg.value.threshold)}: "
                        "above the low-value-goods limit, taxed at the border"))
    elif profile.lvg_scheme is not None:
        first = flow.rules.regimes.history((flow.country, "lvg"))
        since = f" (it starts {first[0].valid_from})" if first else ""
        reasons.append(f"no {flow.country} low-value-goods collection regime on {flow.inp.request.date}{since}")
    flow.border.append((line, comp))
    reasons.append(f"IMPORT_AT_BORDER: the buyer pays {flow.country} {profile.tax_name} at import "
                   f"({pct(comp.rate)} %); see customs.import_tax")
    return flow.decision(line, Scheme.IMPORT_AT_BORDER, (comp,), False, reasons)


def _digital(flow: Flow, line: Line) -> LineDecision:
    inp, profile = flow.inp, flow.profile
    regime = flow.regime("digital")
    if regime is None:
        history = flow.rules.regimes.history((flow.country, "digital"))
        since = f" before {history[0].valid_from}" if history else ""
        return flow.decision(line, Scheme.OUT_OF_SCOPE, (), False, [
            f"{flow.country}: no {profile.tax_name} on digital services from non-resident suppliers{since}"])
    comp, rate_words = flow.rate(line, "digital")
    regime_words = cite(regime, f"{flow.country} taxes B2C digital services from non-resident suppliers")
    if inp.request.customer.is_business:
        return flow.decision(line, Scheme.REVERSE_CHARGE, (), False, [rate_words, regime_words,
                             "REVERSE_CHARGE: B2B digital service; the business customer accounts for the tax"])
    regs = "/".join(profile.digital_registrations or profile.registrations)
    holds = any(inp.request.seller.has(s) for s in (profile.digital_registrations or profile.registrations))
    if not holds:
        flow.warnings.append(f"line {line.id}: the seller owes {flow.country} {profile.tax_name} on B2C digital "
                             f"services but holds no {regs} registration; {profile.registration_hint or 'register'}")
    who = "the seller" if inp.request.seller.established == flow.country else "the non-resident supplier"
    return flow.decision(line, Scheme.DOMESTIC, (comp,), True, [rate_words, regime_words,
                         f"DOMESTIC: {who} charges {flow.country} {profile.tax_name} itself"
                         + ("" if holds else f" (it must register: {regs})")])


def _line(flow: Flow, line: Line) -> LineDecision:
    category = flow.inp.categories[line.id].category
    if category == Category.GIFT_CARD:
        return flow.decision(line, Scheme.OUT_OF_SCOPE, (), False, [
            "gift card: a voucher is not a supply of goods; tax applies when it is redeemed"])
    if category == Category.DIGITAL:
        return _digital(flow, line)
    return _goods(flow, line)


def _import_tax(flow: Flow, goods: list[Line]) -> tuple[Decimal, Decimal, bool]:
    """(estimated import tax in quote currency, consignment value in local currency, relief applied)."""
    amounts = flow.inp.amounts
    consignment = flow.local(sum((amounts.stated(line.id) for line in goods), ZERO))
    if not flow.border:
        return ZERO, consignment, False
    relief = flow.regime("border_relief")
    if relief is not None and relief.value.threshold and consignment <= relief.value.threshold:
        flow.notes.append(cite(relief, f"border relief: consignment value {flow.threshold(consignment)} <= "
                               f"{flow.threshold(relief.value.threshold)}, no import tax is charged"))
        return ZERO, consignment, True
    shipped = [line for line in goods if line.requires_shipping]
    weight = sum((amounts.stated(line.id) for line in shipped), ZERO)
    shipping = amounts.shipping_stated()
    total = ZERO
    for line, comp in flow.border:
        value = amounts.stated(line.id)
        share = shipping * value / weight if weight and line.requires_shipping else ZERO
        total += (value + share) * comp.rate / HUNDRED * comp.base_fraction
    if relief is not None:
        limit = relief.value.threshold
        flow.notes.append(cite(relief, f"no border relief: consignment value {flow.threshold(consignment)} > "
                               f"{flow.threshold(limit)}" if limit else "no border relief for low-value imports"))
    flow.notes.append(f"customs.import_tax estimates the {flow.country} {flow.profile.tax_name} the buyer pays at "
                      "import on the goods value plus its share of shipping; customs duty is not estimated")
    return total, consignment, False


def _customs(flow: Flow, decisions: list[LineDecision], goods: list[Line]) -> CustomsFacts | None:
    if not goods or flow.inp.request.ship_from.country == flow.country:
        return None
    import_tax, consignment, relieved = _import_tax(flow, goods)
    amounts = flow.inp.amounts
    by_id = {d.line_id: d for d in decisions}
    intrinsic = sum((amounts.net(line.id, by_id[line.id].rate if by_id[line.id].collected else ZERO)
                     for line in goods), ZERO)
    costs = [amounts.cost(line.id) for line in goods]
    lvg_used = flow.profile.lvg_scheme is not None and any(d.scheme == flow.profile.lvg_scheme for d in decisions)
    regime = flow.profile.lvg_scheme.value if lvg_used and flow.profile.lvg_scheme else (
        "BORDER_RELIEF" if relieved else None)
    tested = max(flow.unit_values) if lvg_used and flow.unit_values else consignment
    return CustomsFacts(intrinsic_value=intrinsic, threshold_value=tested, threshold_currency=flow.profile.currency,
                        low_value_regime=regime, duty_currency=flow.profile.currency, import_tax=import_tax,
                        cost_value=sum((c for c in costs if c is not None), ZERO) if any(
                            c is not None for c in costs) else None)


def _shipping(flow: Flow, decisions: list[LineDecision], scheme: Scheme) -> ShippingDecision:
    collected = any(d.collected and d.components for d in decisions)
    if not collected:
        words = ("nothing is collected at checkout; the shipping charge is part of the import value"
                 if flow.border else "no tax is collected on shipping")
        return ShippingDecision(ShippingMode.NOT_TAXABLE, flow.country, scheme, (), False, (words,))
    if scheme == flow.profile.lvg_scheme and not flow.profile.shipping_in_lvg_base:
        return ShippingDecision(ShippingMode.NOT_TAXABLE, flow.country, scheme, (), True, (
            f"{scheme.value}: the taxable value excludes transport and insurance, so shipping is not taxed",))
    return ShippingDecision(ShippingMode.FOLLOW_LINES, flow.country, scheme, (), True, (
        "shipping charged with the goods is part of the taxable supply: each line's share is taxed at its rate",))


def resolve_gst(inp: ResolverInput, rules: GstRules, profile: Profile, choose_rate: RateChooser) -> Resolution:
    flow = Flow(inp, rules, profile, choose_rate, registered(inp, profile))
    decisions = [_line(flow, line) for line in inp.request.lines]
    goods = [line for line in inp.request.lines
             if inp.categories[line.id].category not in (Category.DIGITAL, Category.GIFT_CARD)]
    customs = _customs(flow, decisions, goods)
    schemes = {d.scheme for d in decisions}
    scheme = next((s for s in PRIORITY if s in schemes), Scheme.OUT_OF_SCOPE)
    regs = "/".join(profile.registrations)
    explanation = [f"{profile.country} registration ({regs}): {'held' if flow.is_registered else 'not held'} by the "
                   "seller", *dict.fromkeys(flow.notes)]
    flow.warnings.extend(verify_warnings([r for d in decisions for r in d.reasons] + flow.notes))
    return Resolution(profile.country, scheme, tuple(decisions), _shipping(flow, decisions, scheme), customs,
                      tuple(explanation), tuple(dict.fromkeys(flow.warnings)))
