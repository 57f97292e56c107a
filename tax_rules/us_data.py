"""Loading and validating the US rule tables in `tax_rules/data/us/` (state rates, product rules, shipping rules).

Every table is a CSV with `valid_from`, `valid_to` (empty = open) and `source` per row, validated through
`dated.DatedTable`: a state's rate periods and shipping periods must be continuous (no date without a rule inside the
table's coverage), product rule periods must not overlap. A bad row raises `RulesDataError(file, row, message)`.
Coverage starts 2021-01-01 (the research window of shared/domain/tax.md); rows say where a rate was already in force
before that date.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .dated import DatedTable, rows_from_records
from .errors import RulesDataError

PRODUCT_RULE_KINDS = ("exempt", "reduced", "taxable", "exempt_below", "exempt_up_to", "luxury_above")
SHIPPING_RULES = ("EXEMPT_IF_SEPARATELY_STATED", "CONDITIONAL", "ALWAYS_TAXABLE", "NONE")
PRODUCT_CATEGORIES = ("clothing", "food", "medical_prescription", "gift_card", "digital", "books", "medical",
                      "sanitary_hygiene", "general")


def check_shape(records: list[dict[str, str]], file: str) -> None:
    """Every CSV row has exactly the header's fields (an unquoted comma in a note would shift the columns)."""
    for number, record in enumerate(records, start=2):
        if None in record:
            raise RulesDataError(file, number, "more fields than the header (quote a value that holds a comma)")
        if any(value is None for value in record.values()):
            raise RulesDataError(file, number, "fewer fields than the header")


def verify_warnings(reasons: list[str] | tuple[str, ...]) -> list[str]:
    """One warning per decision whose data row is marked VERIFY (announced, scheduled or from a secondary source)."""
    return [f"not confirmed against a primary source (VERIFY in the rules data): {reason.split(' (', 1)[0]}"
            for reason in dict.fromkeys(reasons) if "VERIFY" in reason]


def read_csv(data_dir: Path, relative: str) -> list[dict[str, str]]:
    """Rows of a data CSV as dicts (header line = row 1, so the first record is row 2)."""
    path = data_dir / relative
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            records = list(csv.DictReader(handle))
    except OSError as exc:
        raise RulesDataError(relative, None, f"cannot read: {exc.strerror or exc}") from exc
    check_shape(records, relative)
    return records


def decimal_field(record: dict[str, str], column: str, file: str, row: int, *, required: bool = True) -> Decimal | None:
    """A non-negative decimal from a CSV cell; empty → None unless `required`."""
    text = (record.get(column) or "").strip()
    if not text:
        if required:
            raise RulesDataError(file, row, f"{column} is required")
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise RulesDataError(file, row, f"{column} {text!r} is not a number") from exc
    if not value.is_finite() or value < 0:
        raise RulesDataError(file, row, f"{column} {text!r} must be a non-negative number")
    return value


def choice(record: dict[str, str], column: str, known: tuple[str, ...], file: str, row: int) -> str:
    value = (record.get(column) or "").strip()
    if value not in known:
        raise RulesDataError(file, row, f"unknown {column} {value!r} (known: {', '.join(known)})")
    return value


@dataclass(frozen=True, slots=True)
class StateRate:
    rate: Decimal
    note: str


@dataclass(frozen=True, slots=True)
class ProductRule:
    """A state's rule for one category: `kind` in PRODUCT_RULE_KINDS; `rate`/`amount` as the kind needs;
    `taxable_if` lists line attributes that cancel an exemption (PA fur and formal wear)."""

    kind: str
    rate: Decimal | None
    amount: Decimal | None
    taxable_if: tuple[str, ...]
    note: str


@dataclass(frozen=True, slots=True)
class ShippingRule:
    rule: str
    note: str


@dataclass(frozen=True, slots=True)
class DeMinimis:
    """US import de minimis (19 USC 1321) for an origin: `de_minimis` (duty-free up to `threshold`), `suspended`,
    `repealed`. Duties are outside sales tax; the quote reports it because landed cost depends on it."""

    regime: str
    threshold: Decimal
    note: str


@dataclass(frozen=True, slots=True)
class UsRules:
    state_rates: DatedTable[StateRate]
    product_rules: DatedTable[ProductRule]
    shipping: DatedTable[ShippingRule]
    nexus: Any  # nexus.NexusRules (for the NO_NEXUS explanation)
    de_minimis: DatedTable[DeMinimis]


def _state(record: dict[str, str], file: str, row: int) -> None:
    state = (record.get("state") or "").strip()
    if not (state == "*" or (len(state) == 2 and state.isalpha() and state.isupper())):
        raise RulesDataError(file, row, f"state {state!r} is not a two-letter code")


def load_state_rates(data_dir: Path) -> DatedTable[StateRate]:
    file = "us/state_rates.csv"

    def value(record: dict[str, str], row: int) -> StateRate:
        _state(record, file, row)
        rate = decimal_field(record, "rate", file, row)
        assert rate is not None
        if rate >= 100:
            raise RulesDataError(file, row, f"rate {rate} is not a percent below 100")
        return StateRate(rate, (record.get("note") or "").strip())

    rows = rows_from_records(read_csv(data_dir, file), file=file, key_fields=("state",), value_of=value, first_row=2)
    return DatedTable(rows, name="US state rate", continuous=True)


def load_product_rules(data_dir: Path) -> DatedTable[ProductRule]:
    file = "us/product_rules.csv"

    def value(record: dict[str, str], row: int) -> ProductRule:
        _state(record, file, row)
        choice(record, "category", PRODUCT_CATEGORIES, file, row)
        kind = choice(record, "rule", PRODUCT_RULE_KINDS, file, row)
        rate = decimal_field(record, "rate", file, row, required=kind in ("reduced", "luxury_above"))
        amount = decimal_field(record, "amount", file, row,
                               required=kind in ("exempt_below", "exempt_up_to", "luxury_above"))
        taxable_if = tuple(a.strip() for a in (record.get("taxable_if") or "").split(";") if a.strip())
        return ProductRule(kind, rate, amount, taxable_if, (record.get("note") or "").strip())

    rows = rows_from_records(read_csv(data_dir, file), file=file, key_fields=("state", "category"), value_of=value,
                             first_row=2)
    return DatedTable(rows, name="US product rule")


def load_shipping_rules(data_dir: Path) -> DatedTable[ShippingRule]:
    file = "us/shipping_rules.csv"

    def value(record: dict[str, str], row: int) -> ShippingRule:
        _state(record, file, row)
        return ShippingRule(choice(record, "rule", SHIPPING_RULES, file, row), (record.get("note") or "").strip())

    rows = rows_from_records(read_csv(data_dir, file), file=file, key_fields=("state",), value_of=value, first_row=2)
    return DatedTable(rows, name="US shipping rule", continuous=True)


def load_de_minimis(data_dir: Path) -> DatedTable[DeMinimis]:
    file = "us/import_de_minimis.csv"

    def value(record: dict[str, str], row: int) -> DeMinimis:
        regime = choice(record, "regime", ("de_minimis", "suspended", "repealed"), file, row)
        threshold = decimal_field(record, "threshold_usd", file, row)
        assert threshold is not None
        return DeMinimis(regime, threshold, (record.get("note") or "").strip())

    rows = rows_from_records(read_csv(data_dir, file), file=file, key_fields=("origin",), value_of=value, first_row=2)
    return DatedTable(rows, name="US import de minimis", continuous=True)


def load_us_rules(data_dir: Path) -> UsRules:
    from .nexus_rules import load_nexus_rules  # nexus_rules imports this module's helpers

    rules = UsRules(load_state_rates(data_dir), load_product_rules(data_dir), load_shipping_rules(data_dir),
                    load_nexus_rules(data_dir), load_de_minimis(data_dir))
    missing = set(rules.state_rates.keys()) ^ set(rules.shipping.keys())
    if missing:
        raise RulesDataError("us/shipping_rules.csv", None,
                             f"states with a rate but no shipping rule (or the reverse): {', '.join(sorted(missing))}")
    return rules
