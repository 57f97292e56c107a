"""Turn a resolver's `Resolution` into a `Quote`: lines, shipping, totals, customs, explanation (money via calculate)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from .calculate import (
    CENT, ZERO, Item, LineAmountsView, _apply_rounding, _effective_rate, allocate, format_rate, quantum, round_money, rounded_total,
)
from .model import (
    Component, Customs, CustomsFacts, LineDecision, Quote, QuoteRequest, Resolution, ShippingMode, ShippingTax, TaxLine,
)


def build_quote(request: QuoteRequest, resolution: Resolution, amounts: LineAmountsView, version: str) -> Quote:
    q = quantum(request.currency)
    inclusive = request.prices_include_tax
    decisions = resolution.lines
    line_items = [
        Item(amounts.stated(line.id), line.quantity, d.components, d.collected, d.jurisdiction, inclusive)
        for line, d in zip(request.lines, decisions)
    ]
    ship_items = _shipping_items(request, resolution, line_items, q)
    items = [*line_items, *ship_items]
    for item in items:
        item.prepare()
    chosen = "invoice" if request.rounding == "invoice" else "line"
    other = "line" if chosen == "invoice" else "invoice"
    totals: dict[str, Decimal] = {}
    if resolution.report_invoice_rounding:
        totals[other] = rounded_total(items, other, q)
    totals[chosen] = _apply_rounding(items, chosen, q)

    tax_lines = tuple(_tax_line(line.id, d, item, q) for line, d, item in zip(request.lines, decisions, line_items))
    shipping = _shipping_tax(resolution, ship_items, line_items, q)
    taxable_total, tax_total = shipping.taxable_amount, shipping.tax_amount
    for tax_line in tax_lines:
        taxable_total += tax_line.taxable_amount
        tax_total += tax_line.tax_amount
    return Quote(
        rules_version=version,
        currency=request.currency,
        jurisdiction=resolution.jurisdiction,
        scheme=resolution.scheme,
        lines=tax_lines,
        shipping=shipping,
        taxable_total=taxable_total,
        tax_total=tax_total,
        customs=_customs(resolution.customs, q),
        explanation=_explanation(request, resolution, totals, chosen),
        warnings=_warnings(request, resolution),
        rounding=chosen,
        tax_total_line_rounding=totals.get("line") if resolution.report_invoice_rounding else None,
        tax_total_invoice_rounding=totals.get("invoice") if resolution.report_invoice_rounding else None,
    )


def _shipping_items(request: QuoteRequest, resolution: Resolution, line_items: Sequence[Item], q: Decimal) -> list[Item]:
    decision = resolution.shipping
    amount = round_money(request.shipping.amount, q)
    inclusive = request.prices_include_tax
    if decision.mode is ShippingMode.OWN_RATE:
        return [Item(amount, 1, decision.components, decision.collected, decision.jurisdiction, inclusive)]
    if decision.mode is ShippingMode.NOT_TAXABLE or not line_items:
        return [Item(amount, 1, (), False, decision.jurisdiction, inclusive)]
    carriers = [i for i, line in enumerate(request.lines) if line.requires_shipping] or list(range(len(line_items)))
    groups: dict[tuple[object, ...], Decimal] = {}
    first: dict[tuple[object, ...], Item] = {}
    for index in carriers:
        source = line_items[index]
        comps = source.components
        key = (id(comps[0]) if len(comps) == 1 else tuple(map(id, comps)), source.collected, source.jurisdiction)
        first.setdefault(key, source)
        groups[key] = groups.get(key, ZERO) + (source.stated if source.stated > ZERO else ZERO)
    shares = allocate(amount, list(groups.values()), q)
    items = []
    for key, share in zip(groups, shares):
        source = first[key]
        components, collected, jurisdiction = source.components, source.collected, source.jurisdiction
        plain = tuple(c if not c.exempt_per_unit else replace(c, exempt_per_unit=ZERO) for c in components)
        items.append(Item(share, 1, plain, collected, jurisdiction, inclusive))  # type: ignore[arg-type]
    return items


def _tax_line(line_id: str, decision: LineDecision, item: Item, q: Decimal) -> TaxLine:
    comps = decision.components
    rounded = item.rounded
    if len(comps) == 1:
        c = comps[0]
        components: tuple[Component, ...] = (Component(c.level, c.name, c.rate, rounded[0]),)
        rate = c.rate
    else:
        components = tuple(Component(c.level, c.name, c.rate, tax) for c, tax in zip(comps, rounded))
        rate = decision.rate
    return TaxLine(line_id, decision.category, decision.jurisdiction, decision.scheme, rate, item.taxable(q),
                   item.tax(), components, decision.reasons)


def _shipping_tax(resolution: Resolution, items: Sequence[Item], line_items: Sequence[Item], q: Decimal) -> ShippingTax:
    decision = resolution.shipping
    if decision.mode is ShippingMode.NOT_TAXABLE:
        return ShippingTax(False, decision.jurisdiction, ZERO, ZERO, ZERO)
    if any(i.stated for i in items):
        rate = _effective_rate(items, ZERO)
    else:  # nothing charged for delivery: show the rate it would take
        rate = _effective_rate([i for i in line_items if i.stated], ZERO) if line_items else ZERO
    if decision.mode is ShippingMode.OWN_RATE:
        rate = sum((c.rate for c in decision.components), ZERO)
    taxable = rate > 0
    return ShippingTax(
        taxable=taxable,
        jurisdiction=decision.jurisdiction,
        rate=rate,
        taxable_amount=sum((i.taxable(q) for i in items), ZERO) if taxable else ZERO,
        tax_amount=sum((i.tax() for i in items), ZERO),
    )


def _customs(facts: CustomsFacts | None, q: Decimal) -> Customs | None:
    if facts is None:
        return None
    in_eur = facts.threshold_currency == "EUR"
    return Customs(
        intrinsic_value=round_money(facts.intrinsic_value, q),
        intrinsic_value_eur=round_money(facts.threshold_value, CENT) if in_eur else None,
        low_value_regime=facts.low_value_regime,
        duty=round_money(facts.duty, CENT),
        duty_currency=facts.duty_currency,
        duty_items=facts.duty_items,
        import_tax=round_money(facts.import_tax, q),
        threshold_value=round_money(facts.threshold_value, CENT),
        threshold_currency=facts.threshold_currency,
        cost_value=None if facts.cost_value is None else round_money(facts.cost_value, q),
    )


def _explanation(
    request: QuoteRequest, resolution: Resolution, totals: dict[str, Decimal], chosen: str
) -> tuple[str, ...]:
    """Order-level reasons, then every distinct line reason once (each line also carries its own), then shipping."""
    lines: list[str] = list(resolution.explanation)
    for decision in resolution.lines:
        lines.extend(decision.reasons)
    lines.extend(f"shipping: {reason}" for reason in resolution.shipping.reasons)
    if len(totals) == 2 and totals["line"] != totals["invoice"]:
        lines.append(
            f"rounding: tax {totals['line']} rounded per line, {totals['invoice']} rounded once per rate "
            f"(invoice); this quote uses per-{chosen} rounding"
        )
    return tuple(dict.fromkeys(lines))


def _warnings(request: QuoteRequest, resolution: Resolution) -> tuple[str, ...]:
    warnings = list(resolution.warnings)
    if request.prices_include_tax and any(not d.collected and d.components for d in resolution.lines):
        warnings.append(
            "prices were stated as tax-inclusive, but the seller collects no tax on some lines: "
            "their full price is taken as the value"
        )
    return tuple(dict.fromkeys(warnings))


def rate_text(rate: Decimal) -> str:
    return format_rate(rate)
