"""HS code (+ line attributes) → taxability category, and the words saying what decided it.

Order of decision (the explanation names the one that decided):
1. an explicit `category` on the line always wins;
2. else the HS code: the longest prefix in `data/categories/hs_categories.csv` valid on the date (2-6 digits);
   chapters and headings not listed are `general`;
3. attributes refine what HS alone cannot decide: `childrens: true` turns clothing into childrens_clothing;
   `confectionery: true` turns food into general (`prescription` stays an attribute the resolvers read);
4. no HS code and no category: `general`, with a warning.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from functools import lru_cache
from pathlib import Path

from .dated import DatedTable, require_known, rows_from_records
from .errors import RulesDataError, TaxInputError
from .model import Category, CategoryDecision, Line

FILE = "categories/hs_categories.csv"
HS_PATTERN = re.compile(r"^\d{6,10}$")
CATEGORY_VALUES = tuple(c.value for c in Category)


def normalise_hs(raw: str, path: str) -> str:
    """Digits of an HS/CN/TARIC/HTS code (6-10 digits; dots and spaces allowed); INVALID_HS_CODE otherwise."""
    digits = raw.replace(".", "").replace(" ", "")
    if not HS_PATTERN.match(digits):
        raise TaxInputError("INVALID_HS_CODE", f"HS code {raw!r} must have 6 to 10 digits (dots allowed)", path)
    chapter = int(digits[:2])
    if chapter == 0 or chapter == 77 or chapter > 97:
        raise TaxInputError("INVALID_HS_CODE", f"HS code {raw!r}: chapter {digits[:2]} does not exist", path)
    return digits


def load_hs_table(data_dir: Path) -> DatedTable[Category]:
    with (data_dir / FILE).open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))

    def value(record: dict[str, str], row: int) -> Category:
        prefix = record.get("hs_prefix") or ""
        if not prefix.isdigit() or len(prefix) not in (2, 4, 6):
            raise RulesDataError(FILE, row, f"hs_prefix {prefix!r} must be a 2-, 4- or 6-digit HS prefix")
        return Category(require_known(record["category"], CATEGORY_VALUES, file=FILE, row=row, what="category"))

    rows = rows_from_records(records, file=FILE, key_fields=("hs_prefix",), value_of=value, first_row=2)
    return DatedTable(rows, name="HS category")


class Categoriser:
    """Decides the category of each line; results are cached per (HS code, date, attributes that matter)."""

    def __init__(self, table: DatedTable[Category]) -> None:
        self.table = table
        self._by_hs = lru_cache(maxsize=8192)(self._from_hs)

    def decide(self, line: Line, on: date) -> CategoryDecision:
        if line.category is not None:
            return self._explicit(line, on)
        if line.hs_code is None:
            return CategoryDecision(Category.GENERAL, "default", "no HS code and no category given: general")
        attrs = line.attributes
        return self._by_hs(line.hs_code, on, bool(attrs.get("childrens")), bool(attrs.get("confectionery")))

    def _explicit(self, line: Line, on: date) -> CategoryDecision:
        given = line.category
        assert given is not None
        reason = f"category {given.value} given on the line"
        if line.hs_code is not None:
            derived = self._by_hs(
                line.hs_code, on, bool(line.attributes.get("childrens")), bool(line.attributes.get("confectionery"))
            ).category
            reason += f" (HS {line.hs_code} alone would give {derived.value})" if derived != given else \
                f" (agrees with HS {line.hs_code})"
        return CategoryDecision(given, "category", reason)

    def _from_hs(self, hs: str, on: date, childrens: bool, confectionery: bool) -> CategoryDecision:
        category, prefix = Category.GENERAL, None
        for length in (6, 4, 2):
            row = self.table.on(hs[:length], on)
            if row is not None:
                category, prefix = row.value, hs[:length]
                break
        reason = (
            f"HS {hs} → {category.value} (prefix {prefix}, {FILE})" if prefix
            else f"HS {hs} → general (heading not in any reduced category)"
        )
        decided_by = "hs_code"
        if childrens and category is Category.CLOTHING:
            category, decided_by = Category.CHILDRENS_CLOTHING, "hs_code+attribute"
            reason += "; attribute childrens=true → childrens_clothing"
        elif confectionery and category is Category.FOOD:
            category, decided_by = Category.GENERAL, "hs_code+attribute"
            reason += "; attribute confectionery=true → general (confectionery is not basic food)"
        return CategoryDecision(category, decided_by, reason)
