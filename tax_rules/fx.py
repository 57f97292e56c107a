"""Currency conversion for threshold tests (€150 IOSS, £135 UK, S$400 ...), never for tax amounts.

A rate supplied in the request wins (`exchange_rates`: units of the target currency per one unit of the quote
currency). Otherwise the stated table `data/fx/stated_rates.csv` (units per EUR, dated) gives a cross rate through
EUR; the quote then carries a warning saying so, because those figures are indicative, not an official fixing.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from .dated import DatedTable, rows_from_records
from .errors import RulesDataError, TaxInputError

FILE = "fx/stated_rates.csv"


def load_stated_rates(data_dir: Path) -> DatedTable[Decimal]:
    path = data_dir / FILE
    with path.open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))

    def value(record: dict[str, str], row: int) -> Decimal:
        try:
            rate = Decimal(record["units_per_eur"])
        except Exception as exc:  # decimal.InvalidOperation and KeyError alike
            raise RulesDataError(FILE, row, f"units_per_eur {record.get('units_per_eur')!r} is not a number") from exc
        if rate <= 0:
            raise RulesDataError(FILE, row, "units_per_eur must be positive")
        return rate

    rows = rows_from_records(records, file=FILE, key_fields=("currency",), value_of=value, first_row=2)
    return DatedTable(rows, name="stated exchange rate", continuous=True)


@dataclass(frozen=True, slots=True)
class StatedFx:
    """`Fx` for one quote: the quote currency, its date, supplied rates and the stated table."""

    currency: str
    on: date
    supplied: dict[str, Decimal]
    stated: DatedTable[Decimal]

    def _units_per_eur(self, code: str, target: str) -> Decimal:
        if code == "EUR":
            return Decimal(1)
        row = self.stated.on(code, self.on)
        if row is None:
            raise TaxInputError(
                "NO_EXCHANGE_RATE",
                f"no exchange rate {self.currency}->{target} for {self.on}: supply exchange_rates.{target}",
                f"exchange_rates.{target}",
            )
        return row.value

    def rate(self, to_currency: str) -> Decimal:
        """Units of `to_currency` per unit of the quote currency."""
        if to_currency == self.currency:
            return Decimal(1)
        if to_currency in self.supplied:
            return self.supplied[to_currency]
        return self._units_per_eur(to_currency, to_currency) / self._units_per_eur(self.currency, to_currency)

    def convert(self, amount: Decimal, to_currency: str) -> Decimal:
        return amount * self.rate(to_currency)

    def is_stated(self, to_currency: str) -> bool:
        """True when the conversion uses the stated (indicative) table rather than a supplied rate."""
        return to_currency != self.currency and to_currency not in self.supplied

    def describe(self, to_currency: str) -> str:
        if to_currency == self.currency:
            return f"amounts already in {to_currency}"
        rate = self.rate(to_currency).quantize(Decimal("0.000001")).normalize()
        if to_currency in self.supplied:
            return f"converted at the supplied rate 1 {self.currency} = {rate} {to_currency}"
        return (
            f"converted at the stated indicative rate 1 {self.currency} = {rate} {to_currency} "
            f"(tax_rules/data/{FILE}; supply exchange_rates.{to_currency} for an official rate)"
        )
