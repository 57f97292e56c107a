"""Shared GST/VAT logic for goods and digital services sold into SG, MY, TH, ID, PH, VN (sea.py) and AU, NZ (anz.py).

Data (`data/sea_anz/`, every row dated and sourced, validated by `dated.DatedTable`):
- `rates.csv`: (country, kind) → rate and base fraction; kinds `standard`, `lvg` (MY), `digital` (MY service tax),
  `luxury` (ID), `reduced_8` (VN temporary reductions);
- `regimes.csv`: (country, regime) → threshold in local currency; regimes `lvg` (seller collects on low-value goods;
  the threshold is per item), `border_relief` (consignments at or below it are not taxed at the border; 0 = none),
  `digital` (from when non-resident suppliers charge tax on B2C digital services);
- `category_rules.csv`: (country, category) → exempt (GST-free) categories;
- `vn_reduction_exclusions.csv`: HS prefixes kept at 10 % during VN reductions;
- `lvg_exclusions.csv`: (country, HS prefix) outside the LVG regime (alcohol, tobacco, MY vaping devices).

Decision for a goods line shipped into the country (each step is written into the line's reasons):
1. shipped from inside the country: DOMESTIC (collected when the seller holds the country's registration);
2. a low-value-goods regime in force and the unit value (net of tax, converted to the local currency with the
   request's exchange rate, or the stated table with a warning) at or below its threshold:
   - B2B where the country shifts that tax to the registered business buyer (SG, AU, NZ): REVERSE_CHARGE;
   - the seller registered: the country's LVG scheme, collected at checkout;
3. (goods above the threshold are taxed at the border whoever the buyer is)
4. otherwise IMPORT_AT_BORDER: the line shows the destination rate, the seller collects nothing and
   `customs.import_tax` estimates the buyer's import tax on (goods value + shipping share), or 0 where the whole
   consignment is under the border relief threshold. Customs duty is not estimated for these countries.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .dated import DatedRow, DatedTable, rows_from_records
from .errors import RulesDataError, TaxInputError
from .us_data import check_shape
from .model import Category, Level, Line, RateComponent, ResolverInput, Scheme

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
RATE_KINDS = ("standard", "lvg", "digital", "luxury", "reduced_8")
REGIMES = ("lvg", "border_relief", "digital")
CATEGORY_RULES = ("exempt",)


@dataclass(frozen=True, slots=True)
class GstRate:
    rate: Decimal
    base_fraction: Decimal
    note: str


@dataclass(frozen=True, slots=True)
class Regime:
    threshold: Decimal
    currency: str
    note: str


@dataclass(frozen=True, slots=True)
class GstRules:
    rates: DatedTable[GstRate]
    regimes: DatedTable[Regime]
    category_rules: DatedTable[str]
    vn_exclusions: DatedTable[str]
    lvg_exclusions: DatedTable[str]

    def lvg_excluded(self, country: str, hs_code: str | None, on: date) -> DatedRow[str] | None:
        """The exclusion row when goods of this HS code are outside the country's LVG regime (alcohol, tobacco)."""
        code = hs_code or ""
        for digits in range(min(len(code), 6), 1, -1):
            row = self.lvg_exclusions.on((country, code[:digits]), on)
            if row is not None:
                return row
        return None


def _read(data_dir: Path, file: str) -> list[dict[str, str]]:
    try:
        with (data_dir / file).open(encoding="utf-8", newline="") as handle:
            records = list(csv.DictReader(handle))
    except OSError as exc:
        raise RulesDataError(file, None, f"cannot read: {exc.strerror or exc}") from exc
    check_shape(records, file)
    return records


def _decimal(text: str, file: str, row: int, column: str) -> Decimal:
    try:
        if "/" in text:
            top, bottom = text.split("/", 1)
            value = Decimal(top) / Decimal(bottom)
        else:
            value = Decimal(text)
    except (InvalidOperation, ZeroDivisionError) as exc:
        raise RulesDataError(file, row, f"{column} {text!r} is not a number or fraction") from exc
    if not value.is_finite() or value < 0:
        raise RulesDataError(file, row, f"{column} {text!r} must not be negative")
    return value


def _known(value: str, known: tuple[str, ...], file: str, row: int, what: str) -> str:
    if value not in known:
        raise RulesDataError(file, row, f"unknown {what} {value!r} (known: {', '.join(known)})")
    return value


def load_gst_rules(data_dir: Path) -> GstRules:
    base = Path(data_dir) / "sea_anz"

    def rate(record: dict[str, str], row: int) -> GstRate:
        _known(record["kind"], RATE_KINDS, "sea_anz/rates.csv", row, "kind")
        fraction = _decimal(record.get("base_fraction") or "1", "sea_anz/rates.csv", row, "base_fraction")
        if fraction > ONE:
            raise RulesDataError("sea_anz/rates.csv", row, "base_fraction must not exceed 1")
        return GstRate(_decimal(record["rate"], "sea_anz/rates.csv", row, "rate"), fraction, record.get("note", ""))

    def regime(record: dict[str, str], row: int) -> Regime:
        _known(record["regime"], REGIMES, "sea_anz/regimes.csv", row, "regime")
        return Regime(_decimal(record["threshold"], "sea_anz/regimes.csv", row, "threshold"),
                      record["currency"].strip(), record.get("note", ""))

    def category_rule(record: dict[str, str], row: int) -> str:
        _known(record["category"], tuple(c.value for c in Category), "sea_anz/category_rules.csv", row, "category")
        return _known(record["rule"], CATEGORY_RULES, "sea_anz/category_rules.csv", row, "rule")

    def exclusion(file: str) -> Callable[[dict[str, str], int], str]:
        def value(record: dict[str, str], row: int) -> str:
            if not record["hs_prefix"].isdigit():
                raise RulesDataError(f"sea_anz/{file}", row, "hs_prefix must be digits")
            return record.get("note", "")
        return value

    def table(file: str, keys: tuple[str, ...], value_of: Callable, name: str) -> DatedTable:
        rows = rows_from_records(_read(base, file), file=f"sea_anz/{file}", key_fields=keys, value_of=value_of,
                                 first_row=2)
        return DatedTable(rows, name=name)

    return GstRules(
        rates=table("rates.csv", ("country", "kind"), rate, "SEA/ANZ rate"),
        regimes=table("regimes.csv", ("country", "regime"), regime, "SEA/ANZ regime"),
        category_rules=table("category_rules.csv", ("country", "category"), category_rule, "SEA/ANZ category rule"),
        vn_exclusions=table("vn_reduction_exclusions.csv", ("hs_prefix",), exclusion("vn_reduction_exclusions.csv"),
                            "VN reduction exclusion"),
        lvg_exclusions=table("lvg_exclusions.csv", ("country", "hs_prefix"), exclusion("lvg_exclusions.csv"),
                             "LVG exclusion"),
    )


def money(amount: Decimal, currency: str) -> str:
    return f"{currency} {amount.quantize(Decimal('0.01')):,}"


def pct(value: Decimal) -> str:
    return format(value.normalize(), "f")


def cite(row: DatedRow, what: str) -> str:
    note = getattr(row.value, "note", "") or ""
    return f"{what} ({row.ref(what).period()}{'; ' + note if note else ''}; source: {row.source})"


@dataclass(frozen=True, slots=True)
class Profile:
    """What differs between the countries in the shared flow."""

    country: str
    currency: str
    tax_name: str
    registrations: tuple[str, ...]
    lvg_scheme: Scheme | None
    shipping_in_lvg_base: bool = True
    b2b_reverse_charge: bool = False
    domestic_retail_taxed: bool = True
    registration_hint: str = ""
    digital_registrations: tuple[str, ...] = ()
    """Registrations that cover B2C digital services when they differ from the goods ones (empty = the same)."""


def rate_row(rules: GstRules, country: str, kind: str, on: date) -> DatedRow[GstRate]:
    row = rules.rates.on((country, kind), on)
    if row is None:
        raise TaxInputError("DATE_OUT_OF_RANGE", f"no {country} {kind} rate on {on}", "date")
    return row


def component(profile: Profile, row: DatedRow[GstRate], label: str | None = None) -> RateComponent:
    name = label or f"{profile.country} {profile.tax_name}"
    return RateComponent(Level.COUNTRY, name, row.value.rate, row.ref(name), base_fraction=row.value.base_fraction)


def registered(inp: ResolverInput, profile: Profile) -> bool:
    return any(inp.request.seller.has(scheme) for scheme in profile.registrations)


def exempt_category(inp: ResolverInput, rules: GstRules, country: str, line: Line) -> str | None:
    """Words when the line's category is exempt (GST-free) in the country on the date, else None.
    `medical` rows cover prescription medicines only (attribute `prescription`)."""
    category = inp.categories[line.id].category
    if category == Category.MEDICAL and not line.attributes.get("prescription"):
        return None
    row = rules.category_rules.on((country, category.value), inp.request.date)
    return None if row is None else cite(row, f"{country} {category.value.replace('_', ' ')} is exempt")


def to_local(inp: ResolverInput, amount: Decimal, currency: str, notes: list[str], warnings: list[str]) -> Decimal:
    """Convert a quote-currency amount for a threshold test and note which rate was used."""
    if currency == inp.request.currency:
        return amount
    value = inp.fx.convert(amount, currency)
    words = inp.fx.describe(currency)
    notes.append(f"threshold values in {currency}: {words}")
    if getattr(inp.fx, "is_stated", lambda _c: False)(currency):
        warnings.append(f"{currency} threshold test used a stated indicative exchange rate; supply "
                        f"exchange_rates.{currency} for an exact test")
    return value
