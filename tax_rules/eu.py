"""EU VAT resolver: the 27 member states and Northern Ireland (`XI`, goods under EU rules at UK rates).

Decision order (each step becomes words in the explanation):
1. Territory: a ship-to postcode outside the EU VAT area (Canary Islands, Ceuta, Melilla, Heligoland, Büsingen,
   Livigno, Campione, Åland, Mount Athos, French DOM …) → OUT_OF_SCOPE for the whole order.
2. Customer: B2B only with a VAT id that passes python-stdnum's offline check (`stdnum.eu.vat`); a failing id is a
   warning and the sale is treated as B2C.
3. Goods (the consignment is decided as a whole):
   - B2B: intra-EU → REVERSE_CHARGE (exempt intra-Community supply, acquisition by the customer); domestic → DOMESTIC;
     import → IMPORT_AT_BORDER (the business imports and deducts).
   - B2C import: IOSS when the seller holds a valid IOSS number and the intrinsic value ≤ €150 (XI: £135, IOSS or
     else UK_LVG); otherwise IMPORT_AT_BORDER (see customs.py for duty and import VAT).
   - B2C from an EU state: same state → DOMESTIC; else home-country VAT under the €10,000 threshold (only for a seller
     established in one member state dispatching from it), else destination VAT through OSS_UNION.
4. Digital services B2C: destination VAT, OSS_NON_UNION for sellers established outside the EU, OSS_UNION (or the
   €10,000 home rule) for EU sellers; B2B → REVERSE_CHARGE. Gift cards: multi-purpose vouchers are out of scope at
   sale (Dir. 2016/1065); `single_purpose: true` ones are taxed like the goods.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from stdnum.eu import oss as stdnum_oss
from stdnum.eu import vat as stdnum_vat

from . import customs as cx
from .dated import DatedRow, DatedTable, rows_from_records
from .dispatch import EU_MEMBER_STATES, destination
from .errors import TaxInputError
from .model import (
    Address, Category, CustomsFacts, Level, Line, LineDecision, RateComponent, Resolution, ResolverInput, Scheme,
    ShippingDecision, ShippingMode,
)
from .vat_tables import RateChoice, VatTables, read_csv, true_attributes

EU_RULES_START = date(2021, 7, 1)
"""The e-commerce package (IOSS, OSS, EUR 10,000 rule): imports, distance sales and B2C services need this date."""
RATES_START = date(2021, 1, 1)
"""Category rate rules are encoded from here: domestic and B2B intra-EU supplies are quoted from this date."""
SERVICE_CATEGORIES = (Category.DIGITAL, Category.GIFT_CARD)


@dataclass(frozen=True, slots=True)
class Territory:
    """A place outside the EU VAT area: matched by postcode pattern, ISO 3166-2 region, or its own ISO country code."""

    pattern: re.Pattern[str] | None
    regions: frozenset[str]
    alias_country: str | None

    def matches(self, country: str, table_country: str, region: str | None, postcode: str | None) -> bool:
        if self.alias_country and country == self.alias_country:
            return True
        if country != table_country:
            return False
        if region and region in self.regions:
            return True
        return bool(postcode and self.pattern and self.pattern.match(postcode.replace(" ", "").upper()))


@dataclass(frozen=True, slots=True)
class EuRules:
    eu: VatTables
    uk: VatTables
    territories: DatedTable[Territory]
    duty: DatedTable[Decimal]


def load_rules(data_dir: Path) -> EuRules:
    data_dir = Path(data_dir)
    file = "eu/territories.csv"

    def territory(record: dict[str, str], row: int) -> Territory:
        regex = record.get("postcode_regex") or ""
        return Territory(re.compile(f"^(?:{regex})$") if regex else None,
                         frozenset((record.get("regions") or "").split()), record.get("alias_country") or None)

    territories = DatedTable(rows_from_records(read_csv(data_dir, file), file=file, key_fields=("country", "name"),
                                               value_of=territory, first_row=2), name="territory")
    return EuRules(VatTables(data_dir, "eu"), VatTables(data_dir, "uk"), territories, cx.load_duty_table(data_dir))


@dataclass(frozen=True, slots=True)
class Ctx:
    """Facts of one request that every step needs."""

    inp: ResolverInput
    rules: EuRules
    on: date
    dest: str
    origin: str
    business: bool
    warnings: list[str]
    components: dict[tuple[str, RateChoice], RateComponent] = field(default_factory=dict)

    @property
    def origin_in_eu(self) -> bool:
        return self.origin in EU_MEMBER_STATES or self.origin == "XI"

    def tables(self, country: str) -> tuple[VatTables, str]:
        return (self.rules.uk, "GB") if country in ("XI", "GB") else (self.rules.eu, country)

    def rate(self, country: str, line: Line) -> RateChoice:
        tables, rate_country = self.tables(country)
        category = self.inp.categories[line.id].category
        if category is Category.GIFT_CARD:
            category = Category.GENERAL
        return tables.choose(rate_country, category, line.hs_code, true_attributes(line.attributes), self.on)

    def words(self, name: str, **facts: object) -> str:
        """A named rule from eu/rules.csv in words, with its period and source."""
        return self.rules.eu.words(name, self.on, **facts)

    def component(self, country: str, choice: RateChoice) -> RateComponent:
        """One shared component object per (country, rate choice) in a request: cheap to compare and group."""
        key = (country, choice)
        found = self.components.get(key)
        if found is None:
            found = self.components[key] = RateComponent(Level.COUNTRY, f"{country} VAT", choice.rate, choice.ref)
        return found


def resolve(inp: ResolverInput) -> Resolution:
    req = inp.request
    dest = destination(req.ship_to)
    if req.date < RATES_START:
        raise TaxInputError("DATE_OUT_OF_RANGE", f"EU VAT rates are encoded from {RATES_START} (got {req.date})",
                            "date")
    territory = _territory(inp.rules, req.ship_to, req.date)
    if territory is not None:
        return _out_of_scope(inp, dest, territory)
    origin = destination(req.ship_from)
    origin_territory = _territory(inp.rules, req.ship_from, req.date)
    if origin_territory is not None:  # e.g. shipped from the Canary Islands: an import into the VAT area
        origin = f"{origin_territory.key[1]}"  # type: ignore[index]
    warnings: list[str] = []
    ctx = Ctx(inp, inp.rules, req.date, dest, origin, _business(inp, warnings), warnings)
    goods = [line for line in req.lines if inp.categories[line.id].category not in SERVICE_CATEGORIES
             or _single_purpose(line)]
    goods_ids = {line.id for line in goods}
    goods_plan = _plan_goods(ctx, goods) if goods else None
    decisions = []
    for line in req.lines:
        if line.id in goods_ids:
            decisions.append(goods_plan.decide(ctx, line))  # type: ignore[union-attr]
        else:
            decisions.append(_service_line(ctx, line))
    scheme = goods_plan.scheme if goods_plan else decisions[0].scheme if decisions else Scheme.DOMESTIC
    jurisdiction = goods_plan.jurisdiction if goods_plan else dest
    return Resolution(
        jurisdiction=jurisdiction,
        scheme=scheme,
        lines=tuple(decisions),
        shipping=ShippingDecision(ShippingMode.FOLLOW_LINES, jurisdiction, scheme,
                                  reasons=(ctx.words("SHIPPING_ANCILLARY"),)),
        customs=goods_plan.customs if goods_plan else None,
        explanation=tuple(goods_plan.reasons) if goods_plan else (),
        warnings=tuple(ctx.warnings),
        report_invoice_rounding=True,
    )


def _territory(rules: EuRules, address: Address, on: date) -> DatedRow[Territory] | None:
    for key in rules.territories.keys():
        row = rules.territories.on(key, on)
        if row is not None and row.value.matches(address.country, key[0], address.region,  # type: ignore[index]
                                                 address.postal_code):
            return row
    return None


def _out_of_scope(inp: ResolverInput, dest: str, territory: DatedRow[Territory]) -> Resolution:
    name = territory.key[1]  # type: ignore[index]
    to = inp.request.ship_to
    where = f"postcode {to.postal_code}" if to.postal_code else f"{to.country}{'-' + to.region if to.region else ''}"
    words = (f"{name} ({where}) is outside the EU VAT area: no EU VAT "
             f"({territory.ref('territory').period()}; source: {territory.source})")
    lines = tuple(LineDecision(line.id, inp.categories[line.id].category, dest, Scheme.OUT_OF_SCOPE, (), True, (words,))
                  for line in inp.request.lines)
    return Resolution(dest, Scheme.OUT_OF_SCOPE, lines,
                      ShippingDecision(ShippingMode.NOT_TAXABLE, dest, Scheme.OUT_OF_SCOPE, reasons=(words,)),
                      explanation=(words,),
                      warnings=(f"local indirect taxes of {name} (e.g. IGIC, IPSI, octroi de mer) and import duties "
                                "are not computed",))


def _business(inp: ResolverInput, warnings: list[str]) -> bool:
    """True only for a B2B customer whose VAT id passes python-stdnum's offline check; otherwise a warning."""
    customer = inp.request.customer
    if not customer.is_business:
        return False
    vat_id = customer.vat_id
    if not vat_id:
        warnings.append("customer type is B2B but no VAT id was given: treated as B2C")
        return False
    if not stdnum_vat.is_valid(vat_id):
        warnings.append(f"customer VAT id {vat_id} fails the python-stdnum format/check-digit test "
                            "(stdnum.eu.vat): treated as B2C")
        return False
    return True


def _single_purpose(line: Line) -> bool:
    return line.category is Category.GIFT_CARD and line.attributes.get("single_purpose") is True


def _has_valid_ioss(ctx: Ctx) -> tuple[bool, str]:
    regs = ctx.inp.request.seller.all("IOSS")
    if not regs:
        return False, "seller holds no IOSS number"
    for reg in regs:
        if reg.number and stdnum_oss.is_valid(reg.number):
            return True, f"IOSS number {reg.number}"
    numbers = ", ".join(r.number or "(none)" for r in regs)
    ctx.warnings.append(f"IOSS number {numbers} fails the python-stdnum check (stdnum.eu.oss): IOSS not used")
    return False, f"IOSS number {numbers} is not valid"


@dataclass(slots=True)
class GoodsPlan:
    """The consignment-level decision for all goods lines."""

    scheme: Scheme
    jurisdiction: str
    rate_country: str
    collected: bool
    reasons: list[str]
    customs: CustomsFacts | None = None
    zero_rated: bool = False
    memo: dict[tuple[object, ...], tuple[tuple[RateComponent, ...], tuple[str, ...]]] = field(default_factory=dict)

    def decide(self, ctx: Ctx, line: Line) -> LineDecision:
        """Lines with the same category decision, HS code and attributes share components and reasons."""
        category = ctx.inp.categories[line.id]
        key = (category.category, category.reason, line.hs_code)
        found = None if line.attributes else self.memo.get(key)
        if found is None:
            if self.zero_rated:
                found = ((), (category.reason, *self.reasons[-1:]))
            else:
                choice = ctx.rate(self.rate_country, line)
                found = ((ctx.component(self.rate_country, choice),), (category.reason, choice.words))
            if not line.attributes:
                self.memo[key] = found
        return LineDecision(line.id, category.category, self.jurisdiction, self.scheme, found[0],
                            self.collected or self.zero_rated, found[1])


def _require_ecommerce_rules(ctx: Ctx, what: str) -> None:
    if ctx.on < EU_RULES_START:
        raise TaxInputError("DATE_OUT_OF_RANGE", f"{what} before {EU_RULES_START} fall under the pre-2021 "
                            f"distance-selling rules, which are not encoded (got {ctx.on})", "date")


def _plan_goods(ctx: Ctx, goods: list[Line]) -> GoodsPlan:
    if ctx.dest == "XI" and ctx.origin == "GB":
        return GoodsPlan(Scheme.DOMESTIC, "XI", "XI", True, [ctx.words("GB_TO_NI")] + _registration_note(ctx, "XI"))
    if ctx.business:
        return _plan_b2b(ctx, goods)
    if ctx.origin != ctx.dest:
        _require_ecommerce_rules(ctx, "B2C imports and intra-EU distance sales")
    if not ctx.origin_in_eu:
        from .eu_import import plan_import
        return plan_import(ctx, goods)
    if ctx.origin == ctx.dest:
        return GoodsPlan(Scheme.DOMESTIC, ctx.dest, ctx.dest, True,
                         [ctx.words("DOMESTIC", dest=ctx.dest)] + _registration_note(ctx, ctx.dest))
    return _plan_distance_sale(ctx, goods)


def _plan_b2b(ctx: Ctx, goods: list[Line]) -> GoodsPlan:
    vat_id = ctx.inp.request.customer.vat_id
    if ctx.origin == ctx.dest:
        return GoodsPlan(Scheme.DOMESTIC, ctx.dest, ctx.dest, True,
                         [ctx.words("B2B_DOMESTIC", dest=ctx.dest, vat_id=vat_id)])
    if ctx.origin_in_eu:
        return GoodsPlan(Scheme.REVERSE_CHARGE, ctx.dest, ctx.dest, True, [
            ctx.words("IC_SUPPLY_B2B", origin=ctx.origin, dest=ctx.dest, vat_id=vat_id)], zero_rated=True)
    _require_ecommerce_rules(ctx, "imports")
    return GoodsPlan(Scheme.IMPORT_AT_BORDER, ctx.dest, ctx.dest, False, [
        ctx.words("B2B_IMPORT", dest=ctx.dest, vat_id=vat_id)])


def _plan_distance_sale(ctx: Ctx, goods: list[Line]) -> GoodsPlan:
    seller = ctx.inp.request.seller
    home = seller.established
    threshold = ctx.rules.eu.threshold_row("DISTANCE_SALES_THRESHOLD", ctx.on)
    under, words = _under_distance_threshold(ctx, goods, threshold)
    if under:
        return GoodsPlan(Scheme.DOMESTIC, home, home, True, [words])
    reasons = [words] if words else []
    if seller.has("VAT", country=ctx.dest) and not seller.has("OSS_UNION"):
        reasons.append(ctx.words("DISTANCE_SALE_LOCAL", origin=ctx.origin, dest=ctx.dest))
        return GoodsPlan(Scheme.DOMESTIC, ctx.dest, ctx.dest, True, reasons)
    reasons.append(ctx.words("OSS_UNION_GOODS", origin=ctx.origin, dest=ctx.dest))
    if not seller.has("OSS_UNION"):
        ctx.warnings.append(f"seller holds neither an OSS_UNION registration nor a VAT number in {ctx.dest}: "
                            f"it must register to charge {ctx.dest} VAT")
    return GoodsPlan(Scheme.OSS_UNION, ctx.dest, ctx.dest, True, reasons)


def _under_distance_threshold(ctx: Ctx, goods: list[Line], threshold: DatedRow | None) -> tuple[bool, str]:
    seller = ctx.inp.request.seller
    if threshold is None:
        return False, ""
    limit = threshold.value.amount
    if seller.established not in EU_MEMBER_STATES:
        return False, (f"the EUR {limit} distance-sales threshold applies only to sellers established in one EU "
                       f"member state; seller is established in {seller.established}")
    if ctx.origin != seller.established:
        return False, (f"goods ship from {ctx.origin}, not from the seller's member state {seller.established}: "
                       f"the EUR {limit} threshold does not apply")
    turnover = seller.eu_b2c_cross_border_turnover_eur
    home_rates = [ctx.rate(seller.established, line).rate for line in goods]
    this_sale = sum((ctx.inp.amounts.net(line.id, rate) for line, rate in zip(goods, home_rates)), Decimal(0))
    this_sale_eur = ctx.inp.fx.convert(this_sale, "EUR")
    current = turnover.current_year + this_sale_eur
    period = threshold.ref("threshold").period()
    if turnover.previous_year <= limit and current <= limit:
        return True, (f"EU-wide cross-border B2C sales EUR {turnover.previous_year} last year and EUR "
                      f"{current.quantize(Decimal('0.01'))} this year incl. this sale are within EUR {limit}: "
                      f"{seller.established} VAT applies ({period}; source: {threshold.source})")
    return False, (f"EU-wide cross-border B2C sales (EUR {turnover.previous_year} last year, EUR "
                   f"{current.quantize(Decimal('0.01'))} this year incl. this sale) exceed EUR {limit}: "
                   f"destination VAT ({period})")


def _registration_note(ctx: Ctx, country: str) -> list[str]:
    seller = ctx.inp.request.seller
    if country == "XI" and (seller.has("UK_VAT") or seller.has("VAT", country="XI")
                            or seller.established in ("GB", "XI")):
        return []
    if seller.established != country and not seller.has("VAT", country=country):
        ctx.warnings.append(f"seller holds no VAT registration in {country} for a domestic supply there")
    return []


def _service_line(ctx: Ctx, line: Line) -> LineDecision:
    category = ctx.inp.categories[line.id]
    seller = ctx.inp.request.seller
    if category.category is Category.GIFT_CARD:
        return LineDecision(line.id, category.category, ctx.dest, Scheme.OUT_OF_SCOPE, (), True,
                            (category.reason, ctx.words("VOUCHER_MPV")))
    if ctx.business:
        return LineDecision(line.id, category.category, ctx.dest, Scheme.REVERSE_CHARGE, (), True,
                            (category.reason, ctx.words("SERVICES_B2B", dest=ctx.dest)))
    _require_ecommerce_rules(ctx, "B2C electronically supplied services")
    rate_country, scheme, words = _service_scheme(ctx, seller.established)
    choice = ctx.rate(rate_country, line)
    return LineDecision(line.id, category.category, rate_country, scheme, (ctx.component(rate_country, choice),),
                        True, (category.reason, words, choice.words))


def _service_scheme(ctx: Ctx, home: str) -> tuple[str, Scheme, str]:
    seller = ctx.inp.request.seller
    if ctx.dest == "XI":
        return "XI", Scheme.DOMESTIC, ctx.words("SERVICES_XI")
    if home == ctx.dest:
        return ctx.dest, Scheme.DOMESTIC, ctx.words("SERVICES_HOME", home=home)
    if home not in EU_MEMBER_STATES:
        if not seller.has("OSS_NON_UNION"):
            ctx.warnings.append("seller established outside the EU holds no OSS_NON_UNION registration for B2C "
                                "digital services")
        return ctx.dest, Scheme.OSS_NON_UNION, ctx.words("SERVICES_NON_UNION", dest=ctx.dest)
    turnover = seller.eu_b2c_cross_border_turnover_eur
    row = ctx.rules.eu.threshold_row("DISTANCE_SALES_THRESHOLD", ctx.on)
    if row is not None and turnover.previous_year <= row.value.amount and turnover.current_year <= row.value.amount:
        return home, Scheme.DOMESTIC, ctx.words("SERVICES_UNDER_10K", home=home)
    return ctx.dest, Scheme.OSS_UNION, ctx.words("SERVICES_UNION", dest=ctx.dest)
