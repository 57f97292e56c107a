"""B2C imports into the EU (and into Northern Ireland): IOSS vs import at the border, duty, import VAT estimate.

- EU destination: IOSS when the seller holds a valid IOSS number (python-stdnum `stdnum.eu.oss`) and the
  consignment's intrinsic value is ≤ €150 (converted with a supplied or stated rate); otherwise IMPORT_AT_BORDER.
- XI destination: the UK £135 limit applies; an EU IOSS number may be used (if notified to HMRC), else UK VAT is
  charged at the point of sale (UK_LVG); above £135 IMPORT_AT_BORDER. NI applies the Union Customs Code, so duty
  follows the EU rules below.
- Duty: ≤ €150 relief, replaced from 2026-07-01 by €3 per distinct tariff subheading; above €150 the indicative
  HS table (`eu/duty.csv`). Amounts in EUR; the import VAT estimate is in the quote currency.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from . import customs as cx
from .model import CustomsFacts, Line, Scheme

if TYPE_CHECKING:
    from .eu import Ctx, GoodsPlan

ZERO = Decimal(0)
CENT = Decimal("0.01")
EXCISE_PREFIXES = ("2203", "2204", "2205", "2206", "2207", "2208", "24")


def plan_import(ctx: "Ctx", goods: list[Line]) -> "GoodsPlan":
    from .eu import GoodsPlan, _has_valid_ioss

    dest = ctx.dest
    rates = [ctx.rate(dest, line).rate for line in goods]
    cons = cx.consignment(ctx.inp, goods, rates)
    limit_row = (ctx.rules.uk.threshold_row("UK_LOW_VALUE_MAX", ctx.on) if dest == "XI"
                 else ctx.rules.eu.threshold_row("IOSS_INTRINSIC_VALUE_MAX", ctx.on))
    assert limit_row is not None, "thresholds start before the first supported date"
    limit, limit_cur = limit_row.value.amount, limit_row.value.currency
    ioss_ok, ioss_words = _has_valid_ioss(ctx)
    excise = [line.id for line in goods if line.hs_code and line.hs_code.startswith(EXCISE_PREFIXES)]
    if ioss_ok and excise:
        ioss_ok, ioss_words = False, (f"IOSS excludes excise goods (alcohol, tobacco: line(s) {', '.join(excise)}; "
                                      "Art. 369l Dir. 2006/112/EC)")
    charged_value = cx.intrinsic_value(cons, charged_at_checkout=True)
    charged_conv = ctx.inp.fx.convert(charged_value, limit_cur)
    low_value = charged_conv <= limit
    fx_words = ctx.inp.fx.describe(limit_cur)
    if ctx.inp.fx.is_stated(limit_cur):
        ctx.warnings.append(f"threshold test {fx_words}")
    test = (f"intrinsic value {limit_cur} {charged_conv.quantize(CENT)} "
            f"{'<=' if low_value else '>'} {limit_cur} {limit} ({limit_row.ref('limit').period()}; "
            f"source: {limit_row.source}; {fx_words})")
    scheme, reasons = _choose_scheme(ctx, low_value, ioss_ok, ioss_words, test)
    collected = scheme is not Scheme.IMPORT_AT_BORDER
    value = charged_value if collected else cx.intrinsic_value(cons, charged_at_checkout=False)
    regime = {Scheme.IOSS: "IOSS", Scheme.UK_LVG: "UK_LVG"}.get(scheme, "IMPORT_LOW_VALUE" if low_value
                                                               else "IMPORT_STANDARD")
    duty_eur, items, duty_words = _duty(ctx, cons, value)
    reasons.extend(duty_words)
    duty_quote = duty_eur / ctx.inp.fx.rate("EUR") if duty_eur else ZERO
    import_tax = cx.import_vat(cons, duty_quote) if not collected else ZERO
    if not collected:
        reasons.append(f"import VAT estimated on customs value plus duty at the {dest} rate(s), paid by the buyer "
                       "at the border (Art. 85-86 Dir. 2006/112/EC)")
    facts = CustomsFacts(
        intrinsic_value=value,
        threshold_value=ctx.inp.fx.convert(value, limit_cur),
        threshold_currency=limit_cur,
        low_value_regime=regime,
        duty=duty_eur,
        duty_currency="EUR",
        duty_items=items,
        import_tax=import_tax,
        cost_value=cx.cost_value(ctx.inp, goods),
    )
    return GoodsPlan(scheme, dest, dest, collected, reasons, customs=facts)


def _choose_scheme(ctx: "Ctx", low_value: bool, ioss_ok: bool, ioss_words: str,
                   test: str) -> tuple[Scheme, list[str]]:
    seller = ctx.inp.request.seller
    if not low_value:
        return Scheme.IMPORT_AT_BORDER, [f"import at the border: {test}"]
    if ioss_ok:
        note = " (EU IOSS used for Northern Ireland; it must be notified to HMRC)" if ctx.dest == "XI" else ""
        return Scheme.IOSS, [f"IOSS: {test}; {ioss_words}{note}"]
    if ctx.dest == "XI":
        if not (seller.has("UK_VAT") or seller.has("VAT", country="XI")):
            ctx.warnings.append("seller holds no UK VAT registration: UK VAT on consignments <= GBP 135 into "
                                "Northern Ireland must be charged at the point of sale (no registration threshold)")
        return Scheme.UK_LVG, [f"UK VAT at the point of sale: {test}; {ioss_words}"]
    return Scheme.IMPORT_AT_BORDER, [f"import at the border ({ioss_words}): {test}"]


def _duty(ctx: "Ctx", cons: cx.Consignment, value: Decimal) -> tuple[Decimal, int, list[str]]:
    """(duty in EUR, duty items, words)."""
    eu = ctx.rules.eu
    value_eur = ctx.inp.fx.convert(value, "EUR")
    relief = eu.threshold_row("DUTY_RELIEF_MAX", ctx.on)
    if relief is not None and value_eur <= relief.value.amount:
        flat = eu.threshold_row("FLAT_DUTY_PER_SUBHEADING", ctx.on)
        if flat is None:
            return ZERO, 0, [f"customs duty relief for consignments <= EUR {relief.value.amount} "
                             f"({relief.ref('relief').period()}; source: {relief.source})"]
        items, missing = cx.distinct_subheadings(cons.lines)
        if missing:
            ctx.warnings.append(f"{missing} line(s) without an HS code each counted as a distinct tariff subheading")
        duty = flat.value.amount * items
        return duty, items, [f"customs duty EUR {flat.value.amount} x {items} distinct tariff subheading(s) = EUR "
                             f"{duty.quantize(CENT)} ({flat.ref('flat duty').period()}; source: {flat.source})"]
    return _ad_valorem_duty(ctx, cons)


def _ad_valorem_duty(ctx: "Ctx", cons: cx.Consignment) -> tuple[Decimal, int, list[str]]:
    total = ZERO
    words = []
    for line, value in zip(cons.lines, cx.customs_values(cons)):
        rate, prefix = cx.duty_rate(ctx.rules.duty, line.hs_code, ctx.on)
        if rate is None:
            ctx.warnings.append(f"no duty rate known for line {line.id} (HS {line.hs_code or 'missing'}): its duty "
                                "is not included in the estimate")
            continue
        duty = (ctx.inp.fx.convert(value, "EUR") * rate / 100).quantize(CENT)
        total += duty
        words.append(f"line {line.id}: duty {rate} % (indicative TARIC rate for HS {prefix}, eu/duty.csv) on "
                     f"customs value EUR {ctx.inp.fx.convert(value, 'EUR').quantize(CENT)} = EUR {duty}")
    return total, cx.distinct_subheadings(cons.lines)[0], words
