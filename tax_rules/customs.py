"""Customs facts for imported consignments (EU IOSS €150, UK £135): intrinsic value, duty estimate, import VAT estimate.

- Intrinsic value (UCC-DA Art. 1(48)): the price of the goods, net of the VAT charged at checkout, *excluding* transport
  when it is separately stated on the invoice (included otherwise). The threshold applies to the whole consignment.
- Customs value for duty and import VAT (CIF): goods value plus transport to the border; the import VAT base adds the
  duty (Art. 86 Dir. 2006/112/EC). Shipping is spread over the goods by value for these estimates.
- Duty: for EU consignments ≤ €150, relief (0) until 2026-06-30 and the flat €3 per distinct 6-digit tariff subheading
  from 2026-07-01 (Council Reg. (EU) 2026/382); above €150 the HS prefix table `eu/duty.csv` (indicative rates).
- Cost price (unit_cost) is reported as `cost_value` only; it never enters a threshold or tax base.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from .dated import DatedTable, rows_from_records
from .model import ZERO, Line, ResolverInput
from .vat_tables import decimal_field

HUNDRED = Decimal(100)


def load_duty_table(data_dir: Path) -> DatedTable[Decimal]:
    file = "eu/duty.csv"
    with (data_dir / file).open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    rows = rows_from_records(records, file=file, key_fields=("hs_prefix",),
                             value_of=lambda r, n: decimal_field(r, "rate", file, n), first_row=2)
    return DatedTable(rows, name="EU duty rate")


@dataclass(frozen=True, slots=True)
class Consignment:
    """Goods lines of one order with their destination rates (percent) and values in the quote currency."""

    lines: tuple[Line, ...]
    rates: tuple[Decimal, ...]
    net_values: tuple[Decimal, ...]  # net of VAT at the destination rate (when prices include tax)
    stated_values: tuple[Decimal, ...]
    shipping_net: Decimal
    shipping_stated: Decimal
    shipping_separate: bool


def consignment(inp: ResolverInput, lines: Sequence[Line], rates: Sequence[Decimal]) -> Consignment:
    amounts = inp.amounts
    top_rate = max(rates, default=ZERO)
    return Consignment(
        lines=tuple(lines),
        rates=tuple(rates),
        net_values=tuple(amounts.net(line.id, rate) for line, rate in zip(lines, rates)),
        stated_values=tuple(amounts.stated(line.id) for line in lines),
        shipping_net=amounts.shipping_net(top_rate),
        shipping_stated=amounts.shipping_stated(),
        shipping_separate=inp.request.shipping.separately_stated,
    )


def intrinsic_value(c: Consignment, charged_at_checkout: bool) -> Decimal:
    """Goods value of the consignment; net of VAT only when VAT is charged at checkout; transport only if not separate."""
    goods = sum(c.net_values if charged_at_checkout else c.stated_values, ZERO)
    if not c.shipping_separate:
        goods += c.shipping_net if charged_at_checkout else c.shipping_stated
    return goods


def customs_values(c: Consignment) -> list[Decimal]:
    """CIF value per line (quote currency): stated goods value plus its share of the transport, by value."""
    total = sum(c.stated_values, ZERO)
    if not total:
        return list(c.stated_values)
    return [v + c.shipping_stated * v / total for v in c.stated_values]


def distinct_subheadings(lines: Sequence[Line]) -> tuple[int, int]:
    """(number of distinct 6-digit subheadings, lines without an HS code — each counted as its own item)."""
    headings = {line.hs_code[:6] for line in lines if line.hs_code}
    missing = sum(1 for line in lines if not line.hs_code)
    return len(headings) + missing, missing


def duty_rate(table: DatedTable[Decimal], hs: str | None, on: date) -> tuple[Decimal | None, str | None]:
    """(rate %, prefix) from the longest matching HS prefix valid on `on`; (None, None) when unknown."""
    if not hs:
        return None, None
    for length in range(min(len(hs), 10), 1, -1):
        row = table.on(hs[:length], on)
        if row is not None:
            return row.value, hs[:length]
    return None, None


def import_vat(c: Consignment, duty_in_quote: Decimal) -> Decimal:
    """Import VAT/GST the buyer pays at the border: (customs value + duty share) × rate, summed over lines."""
    values = customs_values(c)
    total = sum(values, ZERO)
    result = ZERO
    for value, rate in zip(values, c.rates):
        duty_share = duty_in_quote * value / total if total else ZERO
        result += (value + duty_share) * rate / HUNDRED
    return result


def cost_value(inp: ResolverInput, lines: Sequence[Line]) -> Decimal | None:
    costs = [inp.amounts.cost(line.id) for line in lines]
    known = [c for c in costs if c is not None]
    return sum(known, ZERO) if known else None
