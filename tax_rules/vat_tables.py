"""VAT rate tables shared by `eu.py` and `uk.py`: dated rates per (country, rate type), category → rate type rules,
and named thresholds. All validated at load (RulesDataError names the file and the row).

A category rule row says: in `country`, lines of `category` (optionally only HS codes starting with one of
`hs_prefixes`, optionally only when the line attribute `condition` is true) take `rate_type`, between its dates.
The most specific matching row wins: a satisfied condition first, then the longest matching HS prefix. A category
without a matching row takes the standard rate. The standard rate table must be continuous per country.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from .dated import DatedRow, DatedTable, RuleRef, require_known, rows_from_records
from .errors import RulesDataError, TaxInputError
from .model import Category

CATEGORY_VALUES = tuple(c.value for c in Category)


@dataclass(frozen=True, slots=True)
class CategoryRule:
    rate_type: str
    hs_prefixes: tuple[str, ...]
    condition: str | None


@dataclass(frozen=True, slots=True)
class Threshold:
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True, eq=False)
class RateChoice:
    """The rate a line takes, the rule that set it, and the words for the explanation.

    Compared and hashed by identity: `choose` is cached, so equal choices are the same object, which lets resolvers
    key per-request caches on it cheaply."""

    rate: Decimal
    rate_type: str
    ref: RuleRef
    words: str


def read_csv(data_dir: Path, name: str) -> list[dict[str, str]]:
    with (data_dir / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def decimal_field(record: Mapping[str, str], field: str, file: str, row: int) -> Decimal:
    try:
        value = Decimal(record[field])
    except (InvalidOperation, KeyError, TypeError):
        raise RulesDataError(file, row, f"{field} {record.get(field)!r} is not a number") from None
    if value < 0:
        raise RulesDataError(file, row, f"{field} must not be negative")
    return value


class VatTables:
    """Rates, category rules and thresholds of one area (`eu` or `uk`)."""

    def __init__(self, data_dir: Path, area: str) -> None:
        self.area = area
        rates_file, rules_file, limits_file = f"{area}/rates.csv", f"{area}/category_rates.csv", f"{area}/thresholds.csv"
        rate_rows = rows_from_records(
            read_csv(data_dir, rates_file), file=rates_file, key_fields=("country", "rate_type"),
            value_of=lambda r, n: decimal_field(r, "rate", rates_file, n), first_row=2,
        )
        self.rates = DatedTable(rate_rows, name="VAT rate")
        self.standard = DatedTable([r for r in rate_rows if r.key[1] == "standard"], name="standard VAT rate",
                                   continuous=True)
        self.rules = DatedTable(self._rule_rows(data_dir, rules_file), name="category rate rule")
        self.thresholds = DatedTable(rows_from_records(
            read_csv(data_dir, limits_file), file=limits_file, key_fields=("name",),
            value_of=lambda r, n: Threshold(decimal_field(r, "amount", limits_file, n), r["currency"]), first_row=2,
        ), name="threshold")
        named_file = f"{area}/rules.csv"
        self.named = DatedTable(rows_from_records(
            read_csv(data_dir, named_file), file=named_file, key_fields=("name",),
            value_of=lambda r, n: _template(r, named_file, n), first_row=2,
        ), name="rule")
        self._rules_by_category: dict[tuple[str, str], list[Any]] = {}
        for key in self.rules.keys():
            self._rules_by_category.setdefault((key[0], key[1]), []).append(key)  # type: ignore[index]
        self.choose = lru_cache(maxsize=16384)(self._choose)

    def _rule_rows(self, data_dir: Path, file: str) -> list[DatedRow[CategoryRule]]:
        known_types = {key for key in self.rates.keys()}

        def value(record: dict[str, str], row: int) -> CategoryRule:
            require_known(record["category"], CATEGORY_VALUES, file=file, row=row, what="category")
            if (record["country"], record["rate_type"]) not in known_types:
                raise RulesDataError(file, row, f"rate type {record['rate_type']!r} has no rate for {record['country']}")
            prefixes = tuple((record.get("hs_prefixes") or "").split())
            if any(not p.isdigit() or len(p) < 2 for p in prefixes):
                raise RulesDataError(file, row, f"hs_prefixes {record['hs_prefixes']!r} must be digit prefixes")
            return CategoryRule(record["rate_type"], prefixes, (record.get("condition") or "").strip() or None)

        records = read_csv(data_dir, file)
        for record in records:
            record["hs_key"] = record.get("hs_prefixes") or ""
            record["condition_key"] = record.get("condition") or ""
        return rows_from_records(records, file=file, key_fields=("country", "category", "hs_key", "condition_key"),
                                 value_of=value, first_row=2)

    def words(self, name: str, on: date, **facts: object) -> str:
        """The words of a named rule (`<area>/rules.csv`) valid on `on`, with its period and source."""
        row = self.named.on(name, on)
        if row is None:
            raise TaxInputError("DATE_OUT_OF_RANGE", f"rule {name} is not in force on {on}", "date")
        return f"{row.value.format(**facts)} ({row.ref(name).period()}; source: {row.source})"

    def countries(self) -> frozenset[str]:
        return frozenset(str(key[0]) for key in self.standard.keys())  # type: ignore[index]

    def threshold(self, name: str, on: date) -> DatedRow[Threshold] | None:
        return self.threshold_row(name, on)

    def threshold_row(self, name: str, on: date) -> DatedRow[Threshold] | None:
        return self.thresholds.on(name, on)

    def standard_rate(self, country: str, on: date) -> RateChoice:
        row = self.standard.on((country, "standard"), on)
        if row is None:
            raise TaxInputError("DATE_OUT_OF_RANGE", f"no {country} standard VAT rate is recorded for {on}", "date")
        ref = row.ref(f"{country} standard VAT")
        return RateChoice(row.value, "standard", ref, f"{country} standard VAT {_pct(row.value)} % "
                          f"({ref.period()}; source: {row.source})")

    def _choose(self, country: str, category: Category, hs: str | None, conditions: frozenset[str],
                on: date) -> RateChoice:
        rule_row = self._best_rule(country, category, hs, conditions, on)
        if rule_row is None:
            choice = self.standard_rate(country, on)
            if category not in (Category.GENERAL, Category.DIGITAL, Category.GIFT_CARD):
                return RateChoice(choice.rate, choice.rate_type, choice.ref,
                                  f"{choice.words}; no reduced rate for {category.value} in {country} on {on}")
            return choice
        rule = rule_row.value
        rate_row = self.rates.on((country, rule.rate_type), on)
        if rate_row is None:
            raise RulesDataError(rule_row.file, rule_row.row, f"{country} rate type {rule.rate_type} has no rate on {on}")
        ref = rate_row.ref(f"{country} {rule.rate_type} VAT")
        scope = f" for HS {' '.join(rule.hs_prefixes)}…" if rule.hs_prefixes else ""
        cond = f" when {rule.condition}" if rule.condition else ""
        words = (
            f"{country} {rule.rate_type.replace('_', ' ')} VAT {_pct(rate_row.value)} % on {category.value}{scope}{cond} "
            f"(rate {ref.period()}, source: {rate_row.source}; category rule {rule_row.ref('rule').period()}, "
            f"{rule_row.file} row {rule_row.row}, source: {rule_row.source})"
        )
        return RateChoice(rate_row.value, rule.rate_type, ref, words)

    def _best_rule(self, country: str, category: Category, hs: str | None, conditions: frozenset[str],
                   on: date) -> DatedRow[CategoryRule] | None:
        best: tuple[tuple[int, int], DatedRow[CategoryRule]] | None = None
        for key in self._rules_by_category.get((country, category.value), ()):
            row = self.rules.on(key, on)
            if row is None:
                continue
            rule = row.value
            if rule.condition and rule.condition not in conditions:
                continue
            match = _prefix_match(rule.hs_prefixes, hs)
            if match < 0:
                continue
            score = (1 if rule.condition else 0, match)
            if best is None or score > best[0]:
                best = (score, row)
        return None if best is None else best[1]


def _template(record: Mapping[str, str], file: str, row: int) -> str:
    text = (record.get("text") or "").strip()
    if not text:
        raise RulesDataError(file, row, "text is empty")
    return text


def _prefix_match(prefixes: tuple[str, ...], hs: str | None) -> int:
    """Length of the longest prefix matching `hs`; 0 when the rule has no prefixes; -1 when none matches."""
    if not prefixes:
        return 0
    if hs is None:
        return -1
    lengths = [len(p) for p in prefixes if hs.startswith(p)]
    return max(lengths) if lengths else -1


def _pct(value: Decimal) -> str:
    return f"{value.normalize():f}"


NO_ATTRIBUTES: frozenset[str] = frozenset()


def true_attributes(attributes: Mapping[str, Any]) -> frozenset[str]:
    """Names of line attributes that are set to true (conditions of category rules)."""
    if not attributes:
        return NO_ATTRIBUTES
    return frozenset(name for name, value in attributes.items() if value is True)
