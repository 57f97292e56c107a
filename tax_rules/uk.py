"""UK VAT resolver for Great Britain (ship-to `GB`; a `BT` postcode is Northern Ireland and goes to `eu.py` as XI).

- Goods shipped within the UK (from GB or XI): DOMESTIC UK VAT.
- Goods imported in a consignment of intrinsic value ≤ £135 (whole consignment, transport excluded when separately
  stated, net of the VAT charged at checkout): UK VAT at the point of sale (UK_LVG), no registration threshold for
  non-established sellers; to a VAT-registered business (GB VAT id passing python-stdnum's `stdnum.gb.vat`) the
  customer accounts for the VAT (REVERSE_CHARGE).
- Above £135: IMPORT_AT_BORDER — import VAT (estimated here) and duty (not estimated; warning) at the border.
- Rates: 20 / 5 / 0 with zero-rated children's clothing, books, most food, sanitary products, prescribed medicines.
- Digital services to consumers: UK VAT (DOMESTIC, registration required); to businesses: REVERSE_CHARGE.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from stdnum.gb import vat as stdnum_gb_vat

from . import customs as cx
from .dispatch import destination
from .errors import TaxInputError
from .model import (
    Category, CustomsFacts, Level, Line, LineDecision, RateComponent, Resolution, ResolverInput, Scheme,
    ShippingDecision, ShippingMode,
)
from .vat_tables import VatTables, true_attributes

UK_RULES_START = date(2021, 1, 1)
CENT = Decimal("0.01")


def load_rules(data_dir: Path) -> VatTables:
    return VatTables(Path(data_dir), "uk")


def resolve(inp: ResolverInput) -> Resolution:
    req = inp.request
    if req.date < UK_RULES_START:
        raise TaxInputError("DATE_OUT_OF_RANGE", f"UK VAT rules are encoded from {UK_RULES_START} (got {req.date})",
                            "date")
    warnings: list[str] = []
    business = _business(inp, warnings)
    origin = destination(req.ship_from)
    goods = [line for line in req.lines if inp.categories[line.id].category not in (Category.DIGITAL,
                                                                                     Category.GIFT_CARD)]
    scheme, collected, reasons, facts = _goods_plan(inp, goods, origin, business, warnings)
    goods_ids = {line.id for line in goods}
    decisions = tuple(
        _goods_line(inp, line, scheme, collected) if line.id in goods_ids else _service_line(inp, line, business)
        for line in req.lines
    )
    if not goods and decisions:
        scheme = decisions[0].scheme
    return Resolution(
        jurisdiction="GB",
        scheme=scheme,
        lines=decisions,
        shipping=ShippingDecision(ShippingMode.FOLLOW_LINES, "GB", scheme,
                                  reasons=(inp.rules.words("UK_SHIPPING", req.date),)),
        customs=facts,
        explanation=tuple(reasons),
        warnings=tuple(warnings),
    )


def _business(inp: ResolverInput, warnings: list[str]) -> bool:
    customer = inp.request.customer
    if not customer.is_business:
        return False
    if not customer.vat_id:
        warnings.append("customer type is B2B but no VAT number was given: treated as B2C")
        return False
    if not stdnum_gb_vat.is_valid(customer.vat_id):
        warnings.append(f"customer VAT number {customer.vat_id} fails the python-stdnum check (stdnum.gb.vat): "
                        "treated as B2C")
        return False
    return True


def _rate(inp: ResolverInput, line: Line) -> tuple[RateComponent, str]:
    tables: VatTables = inp.rules
    category = inp.categories[line.id].category
    if category is Category.GIFT_CARD:
        category = Category.GENERAL
    choice = tables.choose("GB", category, line.hs_code, true_attributes(line.attributes), inp.request.date)
    return RateComponent(Level.COUNTRY, "GB VAT", choice.rate, choice.ref), choice.words


def _goods_plan(inp: ResolverInput, goods: list[Line], origin: str, business: bool,
                warnings: list[str]) -> tuple[Scheme, bool, list[str], CustomsFacts | None]:
    if not goods:
        return Scheme.DOMESTIC, True, [], None
    if origin in ("GB", "XI"):
        if not inp.request.seller.has("UK_VAT"):
            warnings.append("seller holds no UK VAT registration for a domestic UK supply")
        return Scheme.DOMESTIC, True, [inp.rules.words("UK_DOMESTIC", inp.request.date, origin=origin)], None
    return _import_plan(inp, goods, business, warnings)


def _import_plan(inp: ResolverInput, goods: list[Line], business: bool,
                 warnings: list[str]) -> tuple[Scheme, bool, list[str], CustomsFacts | None]:
    tables: VatTables = inp.rules
    on = inp.request.date
    limit_row = tables.threshold_row("UK_LOW_VALUE_MAX", on)
    assert limit_row is not None
    limit, cur = limit_row.value.amount, limit_row.value.currency
    rates = [_rate(inp, line)[0].rate for line in goods]
    cons = cx.consignment(inp, goods, rates)
    charged = cx.intrinsic_value(cons, charged_at_checkout=True)
    charged_gbp = inp.fx.convert(charged, cur)
    low = charged_gbp <= limit
    if inp.fx.is_stated(cur):
        warnings.append(f"threshold test {inp.fx.describe(cur)}")
    test = (f"consignment intrinsic value {cur} {charged_gbp.quantize(CENT)} {'<=' if low else '>'} {cur} {limit} "
            f"({limit_row.ref('limit').period()}; source: {limit_row.source}; {inp.fx.describe(cur)})")
    if not low:
        scheme, reasons = Scheme.IMPORT_AT_BORDER, [f"{tables.words('UK_IMPORT', on)}: {test}"]
        warnings.append("UK customs duty above GBP 135 is not estimated")
    elif business:
        scheme, reasons = Scheme.REVERSE_CHARGE, [
            f"{tables.words('UK_LVG_B2B', on, vat_id=inp.request.customer.vat_id)}: {test}"]
    else:
        scheme, reasons = Scheme.UK_LVG, [f"UK VAT at the point of sale: {test}"]
        if not inp.request.seller.has("UK_VAT"):
            warnings.append("seller holds no UK VAT registration: non-UK sellers must register from the first sale")
    collected = scheme is not Scheme.IMPORT_AT_BORDER
    value = charged if collected else cx.intrinsic_value(cons, charged_at_checkout=False)
    facts = CustomsFacts(
        intrinsic_value=value,
        threshold_value=inp.fx.convert(value, cur),
        threshold_currency=cur,
        low_value_regime="UK_LVG" if low else "IMPORT_STANDARD",
        duty=Decimal(0),
        duty_currency=cur,
        duty_items=0,
        import_tax=cx.import_vat(cons, Decimal(0)) if not collected else Decimal(0),
        cost_value=cx.cost_value(inp, goods),
    )
    return scheme, collected, reasons, facts


def _goods_line(inp: ResolverInput, line: Line, scheme: Scheme, collected: bool) -> LineDecision:
    category = inp.categories[line.id]
    if scheme is Scheme.REVERSE_CHARGE:
        return LineDecision(line.id, category.category, "GB", scheme, (), True,
                            (category.reason, inp.rules.words("UK_LVG_B2B", inp.request.date,
                                                              vat_id=inp.request.customer.vat_id)))
    component, words = _rate(inp, line)
    return LineDecision(line.id, category.category, "GB", scheme, (component,), collected, (category.reason, words))


def _service_line(inp: ResolverInput, line: Line, business: bool) -> LineDecision:
    category = inp.categories[line.id]
    if category.category is Category.GIFT_CARD and line.attributes.get("single_purpose") is not True:
        return LineDecision(line.id, category.category, "GB", Scheme.OUT_OF_SCOPE, (), True, (
            category.reason, inp.rules.words("UK_VOUCHER_MPV", inp.request.date)))
    if business:
        return LineDecision(line.id, category.category, "GB", Scheme.REVERSE_CHARGE, (), True, (
            category.reason, inp.rules.words("UK_SERVICES_B2B", inp.request.date)))
    component, words = _rate(inp, line)
    return LineDecision(line.id, category.category, "GB", Scheme.DOMESTIC, (component,), True, (
        category.reason, inp.rules.words("UK_SERVICES_B2C", inp.request.date), words))
