"""US local (county / city / special district) sales-tax rate tables that a shop loads.

No open, redistributable all-state ZIP table exists (see tax_rules/data/us/LOCAL_RATES.md), so local rates are
*pluggable*: a shop provides a CSV, loads it with `load_local_rates(path)` (or `parse_local_rates(text, file=...)`),
and either passes the `LocalRateTable` on the quote request (`QuoteRequest.local_rates`) or registers it under a name
(`register_local_rates("acme-2026q4", table)`) that a JSON request names in `"local_rates"`.

CSV format (header required, one row per ZIP range and period):

    zip_from,zip_to,state,county,county_rate,city,city_rate,district,district_rate,valid_from,valid_to,source

- `zip_from` / `zip_to`: an inclusive range of 5-digit ZIPs (`94102`..`94188`) or of ZIP+4 codes
  (`94103-0001`..`94103-0999`); both ends of a row have the same form. A ZIP+4 row wins over a 5-digit row when the
  quoted postal code carries the +4 part; a quoted 5-digit ZIP never matches a ZIP+4 row.
- `state`: the two-letter state (`NY`). A row only applies to quotes shipping to that state.
- `county`/`city`/`district` with their `*_rate` in percent; an empty name needs rate 0. Several districts are
  summed into one row (`"SF transit; SF SPUR"`, `0.5`): the quote carries one component per level.
- `valid_from`/`valid_to` inclusive ISO dates (`valid_to` empty = open); `source` is required.

Invariants checked at load time (a `RulesDataError` names the file and the row): every field parses; within one
ZIP form, two different ranges never overlap (ranges are identical or disjoint) and one range's periods never overlap.
A lookup is a bisection over sorted range starts followed by a dated lookup, O(log n).
"""

from __future__ import annotations

import bisect
import csv
import io
import re
import threading
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .dated import DatedRow, DatedTable, RuleRef, parse_date
from .errors import RulesDataError, TaxInputError

COLUMNS = ("zip_from", "zip_to", "state", "county", "county_rate", "city", "city_rate", "district", "district_rate",
           "valid_from", "valid_to", "source")
LEVELS = ("county", "city", "district")
_ZIP5 = re.compile(r"^\d{5}$")
_ZIP9 = re.compile(r"^\d{5}-?\d{4}$")
SAMPLE_NAME = "sample"
SAMPLE_FILE = Path(__file__).parent / "data" / "us" / "local_rates_sample.csv"


@dataclass(frozen=True, slots=True)
class LocalLevel:
    """One local level of a row: `level` is county, city or district."""

    level: str
    name: str
    rate: Decimal


@dataclass(frozen=True, slots=True)
class LocalRates:
    """The local rates a ZIP range has over one period (levels with rate 0 are kept: they say "none here")."""

    state: str
    zip_from: str
    zip_to: str
    levels: tuple[LocalLevel, ...]
    rule: RuleRef

    @property
    def total(self) -> Decimal:
        return sum((lv.rate for lv in self.levels), Decimal(0))

    def describe(self) -> str:
        parts = [f"{lv.name} {lv.level} {lv.rate} %" for lv in self.levels if lv.rate or lv.name]
        return ", ".join(parts) if parts else "no local tax"


def normalise_zip(value: str) -> str | None:
    """`'94103'` → `'94103'`; `'94103-1234'` / `'941031234'` → `'94103-1234'`; anything else → None."""
    text = value.strip()
    if _ZIP5.match(text):
        return text
    if _ZIP9.match(text):
        digits = text.replace("-", "")
        return f"{digits[:5]}-{digits[5:]}"
    return None


class LocalRateTable:
    """A validated local rate table; `lookup(state, postal_code, d)` returns the `LocalRates` or None."""

    def __init__(self, rows: list[DatedRow[LocalRates]], *, name: str) -> None:
        self.name = name
        self._dated: DatedTable[LocalRates] = DatedTable(rows, name=f"local rates {name}")
        self._ranges: dict[bool, list[tuple[str, str]]] = {False: [], True: []}
        for zip_range in sorted({row.key for row in rows}):  # type: ignore[type-var]
            self._ranges["-" in zip_range[0]].append(zip_range)  # type: ignore[index]
        for plus4, ranges in self._ranges.items():
            self._check_disjoint(ranges, rows)
        self._starts = {plus4: [r[0] for r in ranges] for plus4, ranges in self._ranges.items()}

    @staticmethod
    def _check_disjoint(ranges: list[tuple[str, str]], rows: list[DatedRow[LocalRates]]) -> None:
        for earlier, later in zip(ranges, ranges[1:]):
            if later[0] <= earlier[1]:
                row = next(r for r in rows if r.key == later)
                raise RulesDataError(row.file, row.row,
                                     f"ZIP range {later[0]}..{later[1]} overlaps the range {earlier[0]}..{earlier[1]}")

    def __len__(self) -> int:
        return len(self._dated)

    def _find(self, code: str, plus4: bool, d: date) -> LocalRates | None:
        ranges = self._ranges[plus4]
        index = bisect.bisect_right(self._starts[plus4], code) - 1
        if index < 0 or code > ranges[index][1]:
            return None
        row = self._dated.on(ranges[index], d)
        return row.value if row is not None else None

    def lookup(self, state: str, postal_code: str | None, d: date) -> LocalRates | None:
        """The local rates for a ship-to ZIP (ZIP+4 first when given) on date `d`, or None when the table has none."""
        code = normalise_zip(postal_code or "")
        if code is None:
            return None
        found = self._find(code, True, d) if "-" in code else None
        if found is None:
            found = self._find(code[:5], False, d)
        return found if found is not None and found.state == state else None


def _rate(record: dict[str, str], column: str, file: str, row: int) -> Decimal:
    text = (record.get(column) or "").strip() or "0"
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise RulesDataError(file, row, f"{column} {text!r} is not a decimal percent") from exc
    if not value.is_finite() or value < 0 or value >= 100:
        raise RulesDataError(file, row, f"{column} {text!r} must be a percent between 0 and 100")
    return value


def _zip_range(record: dict[str, str], file: str, row: int) -> tuple[str, str]:
    ends = []
    for column in ("zip_from", "zip_to"):
        code = normalise_zip(record.get(column) or "")
        if code is None:
            raise RulesDataError(file, row, f"{column} {record.get(column)!r} is not a ZIP (12345) or ZIP+4 (12345-6789)")
        ends.append(code)
    if ("-" in ends[0]) != ("-" in ends[1]):
        raise RulesDataError(file, row, "zip_from and zip_to must both be 5-digit ZIPs or both ZIP+4")
    if ends[1] < ends[0]:
        raise RulesDataError(file, row, f"zip_to {ends[1]} is before zip_from {ends[0]}")
    return ends[0], ends[1]


def _row(record: dict[str, str], file: str, number: int) -> DatedRow[LocalRates]:
    if None in record:
        raise RulesDataError(file, number, "more fields than the header (quote a value that holds a comma)")
    missing = [c for c in COLUMNS if c not in record or record[c] is None]
    if missing:
        raise RulesDataError(file, number, f"missing column(s) {', '.join(missing)}")
    zip_from, zip_to = _zip_range(record, file, number)
    state = record["state"].strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", state):
        raise RulesDataError(file, number, f"state {record['state']!r} is not a two-letter US state code")
    source = record["source"].strip()
    if not source:
        raise RulesDataError(file, number, "source is empty")
    levels = []
    for level in LEVELS:
        name, rate = record[level].strip(), _rate(record, f"{level}_rate", file, number)
        if rate and not name:
            raise RulesDataError(file, number, f"{level}_rate {rate} has no {level} name")
        levels.append(LocalLevel(level, name, rate))
    valid_from = parse_date(record["valid_from"], file=file, row=number, field="valid_from")
    valid_to = parse_date(record["valid_to"], file=file, row=number, field="valid_to", allow_open=True)
    assert valid_from is not None
    ref = RuleRef(rule=f"{Path(file).name}:{number}", valid_from=valid_from, valid_to=valid_to, source=source)
    value = LocalRates(state, zip_from, zip_to, tuple(levels), ref)
    return DatedRow(key=(zip_from, zip_to), value=value, valid_from=valid_from, valid_to=valid_to, source=source,
                    file=file, row=number)


def parse_local_rates(text: str, *, file: str, name: str | None = None) -> LocalRateTable:
    """Parse and validate a local rate CSV given as text; `file` names it in load errors."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise RulesDataError(file, 1, f"header lacks column(s) {', '.join(missing)}")
    rows = [_row(record, file, number) for number, record in enumerate(reader, start=2)]
    if not rows:
        raise RulesDataError(file, None, "the table has no rows")
    return LocalRateTable(rows, name=name or Path(file).stem)


def load_local_rates(path: str | Path, *, name: str | None = None) -> LocalRateTable:
    """Read and validate a local rate CSV file (see the module docstring for the format)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RulesDataError(str(file), None, f"cannot read the file: {exc.strerror or exc}") from exc
    return parse_local_rates(text, file=str(file), name=name)


_registry: dict[str, LocalRateTable] = {}
_lock = threading.Lock()


def register_local_rates(name: str, table: LocalRateTable) -> None:
    """Make `table` available to JSON requests as `"local_rates": name` (replaces an earlier table of that name)."""
    with _lock:
        _registry[name] = table


def registered_local_rates(name: str) -> LocalRateTable:
    """The table registered as `name` (the bundled sample is registered lazily as `"sample"`)."""
    with _lock:
        if name == SAMPLE_NAME and name not in _registry:
            _registry[name] = load_local_rates(SAMPLE_FILE, name=SAMPLE_NAME)
        table = _registry.get(name)
        known = sorted({*_registry, SAMPLE_NAME})
    if table is None:
        raise TaxInputError("INVALID_FIELD", f"no US local rate table registered as {name!r} "
                            f"(registered: {', '.join(known)})", "local_rates")
    return table


def resolve_local_rates(value: object) -> LocalRateTable | None:
    """A request's `local_rates` (None, a registered name or a table) → the table, or None."""
    if value is None:
        return None
    if isinstance(value, LocalRateTable):
        return value
    if isinstance(value, str):
        return registered_local_rates(value)
    raise TaxInputError("INVALID_FIELD", "local_rates must be the name of a registered local rate table",
                        "local_rates")


def main(argv: list[str] | None = None) -> int:
    """`python -m tax_rules.us_local FILE`: validate a shop's local rate table; exit 0 with a summary, 2 with the
    first error (file and row) as one JSON line."""
    import json
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(json.dumps({"error": {"code": "USAGE", "message": "usage: python -m tax_rules.us_local FILE"}}))
        return 2
    try:
        table = load_local_rates(args[0])
    except RulesDataError as exc:
        print(json.dumps({"error": {"code": "RULES_DATA_ERROR", "message": str(exc), "file": exc.file,
                                    "row": exc.row}}))
        return 2
    print(json.dumps({"file": args[0], "rows": len(table), "name": table.name}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
