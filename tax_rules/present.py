"""Quote → the contract's JSON dict, and → text a person reads (`python -m tax_rules explain`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .calculate import format_rate, quantum, round_money
from .model import Customs, Quote


def money(value: Decimal, q: Decimal) -> str:
    return f"{round_money(value, q):f}"


def quote_to_json(quote: Quote) -> dict[str, Any]:
    q = quantum(quote.currency)
    result: dict[str, Any] = {
        "rules_version": quote.rules_version,
        "currency": quote.currency,
        "jurisdiction": quote.jurisdiction,
        "scheme": quote.scheme.value,
        "lines": [
            {
                "id": line.id,
                "category": line.category.value,
                "jurisdiction": line.jurisdiction,
                "scheme": line.scheme.value,
                "rate": format_rate(line.rate),
                "taxable_amount": money(line.taxable_amount, q),
                "tax_amount": money(line.tax_amount, q),
                "components": [
                    {"level": c.level, "name": c.name, "rate": format_rate(c.rate), "tax_amount": money(c.tax_amount, q)}
                    for c in line.components
                ],
                "explanation": list(line.explanation),
            }
            for line in quote.lines
        ],
        "shipping": {
            "taxable": quote.shipping.taxable,
            "jurisdiction": quote.shipping.jurisdiction,
            "rate": format_rate(quote.shipping.rate),
            "taxable_amount": money(quote.shipping.taxable_amount, q),
            "tax_amount": money(quote.shipping.tax_amount, q),
        },
        "taxable_total": money(quote.taxable_total, q),
        "tax_total": money(quote.tax_total, q),
        "rounding": quote.rounding,
        "customs": _customs(quote.customs, q),
        "explanation": list(quote.explanation),
        "warnings": list(quote.warnings),
    }
    if quote.tax_total_line_rounding is not None:
        result["tax_total_line_rounding"] = money(quote.tax_total_line_rounding, q)
    if quote.tax_total_invoice_rounding is not None:
        result["tax_total_invoice_rounding"] = money(quote.tax_total_invoice_rounding, q)
    return result


def _customs(customs: Customs | None, q: Decimal) -> dict[str, Any] | None:
    if customs is None:
        return None
    cent = Decimal("0.01")
    return {
        "intrinsic_value": money(customs.intrinsic_value, q),
        "intrinsic_value_eur": None if customs.intrinsic_value_eur is None else money(customs.intrinsic_value_eur, cent),
        "low_value_regime": customs.low_value_regime,
        "duty": money(customs.duty, cent),
        "duty_currency": customs.duty_currency,
        "duty_items": customs.duty_items,
        "import_tax": money(customs.import_tax, q),
        "threshold_value": None if customs.threshold_value is None else money(customs.threshold_value, cent),
        "threshold_currency": customs.threshold_currency,
        "cost_value": None if customs.cost_value is None else money(customs.cost_value, q),
    }


def explain_text(quote: Quote) -> str:
    """A plain-text account of the quote: totals, one block per line, shipping, customs, reasons and warnings."""
    q = quantum(quote.currency)
    cur = quote.currency
    out = [
        f"Tax quote — {quote.jurisdiction}, scheme {quote.scheme.value} (rules {quote.rules_version})",
        f"  taxable {cur} {money(quote.taxable_total, q)}   tax collected {cur} {money(quote.tax_total, q)}"
        f"   rounding per {quote.rounding}",
    ]
    if quote.tax_total_line_rounding is not None and quote.tax_total_invoice_rounding is not None:
        out.append(f"  tax rounded per line {cur} {money(quote.tax_total_line_rounding, q)}; "
                   f"per invoice {cur} {money(quote.tax_total_invoice_rounding, q)}")
    out.append("")
    for line in quote.lines:
        out.append(f"Line {line.id}: {line.category.value}, {line.jurisdiction} {line.scheme.value}, rate "
                   f"{format_rate(line.rate)} %, taxable {cur} {money(line.taxable_amount, q)}, "
                   f"tax {cur} {money(line.tax_amount, q)}")
        out.extend(f"    {c.level} {c.name} {format_rate(c.rate)} %: {cur} {money(c.tax_amount, q)}"
                   for c in line.components)
        out.extend(f"    - {reason}" for reason in line.explanation)
    s = quote.shipping
    out.append(f"Shipping: {'taxable' if s.taxable else 'not taxable'} ({s.jurisdiction}), rate {format_rate(s.rate)} %, "
               f"taxable {cur} {money(s.taxable_amount, q)}, tax {cur} {money(s.tax_amount, q)}")
    if quote.customs is not None:
        c = quote.customs
        out.append(f"Customs: intrinsic value {cur} {money(c.intrinsic_value, q)}"
                   + (f" ({c.threshold_currency} {c.threshold_value})" if c.threshold_currency else "")
                   + f", regime {c.low_value_regime or '-'}, duty {c.duty_currency} {c.duty} on {c.duty_items} "
                   f"item(s), import tax at the border {cur} {money(c.import_tax, q)}")
    out.append("")
    out.append("Why:")
    out.extend(f"  - {reason}" for reason in quote.explanation)
    if quote.warnings:
        out.append("Warnings:")
        out.extend(f"  ! {warning}" for warning in quote.warnings)
    return "\n".join(out) + "\n"
