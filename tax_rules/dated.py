"""Dated rule tables: every rate, threshold and rule row holds `valid_from`, `valid_to` (inclusive, or open) and a source.

A `DatedTable` groups rows by a key (e.g. `("FI", "standard")`). It is validated when built:

- periods of one key never overlap (a date must resolve to at most one row);
- where the table is declared `continuous`, consecutive periods of one key leave no gap;
- `valid_to` is never before `valid_from`.

Any violation raises `RulesDataError` naming the file and the row, so bad data fails at load time, never mid-quote.
`on(key, d)` returns the single row valid on date `d` (or None): this is the only way rules are looked up by date.
Lookups bisect a sorted list of start dates, so they cost O(log n) per key.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from .errors import RulesDataError

V = TypeVar("V")

OPEN = "open"


@dataclass(frozen=True, slots=True)
class RuleRef:
    """Where a decision came from: rule id, its period and its source. Explanations quote it."""

    rule: str
    valid_from: date
    valid_to: date | None
    source: str

    def period(self) -> str:
        """`valid since 2024-09-01` or `valid 2024-01-01..2025-06-30`, for explanations."""
        if self.valid_to is None:
            return f"valid since {self.valid_from.isoformat()}"
        return f"valid {self.valid_from.isoformat()}..{self.valid_to.isoformat()}"


@dataclass(frozen=True, slots=True)
class DatedRow(Generic[V]):
    """One row of a dated table: a value valid on [valid_from, valid_to] (both inclusive; valid_to None = open)."""

    key: Hashable
    value: V
    valid_from: date
    valid_to: date | None
    source: str
    file: str
    row: int

    def covers(self, d: date) -> bool:
        return self.valid_from <= d and (self.valid_to is None or d <= self.valid_to)

    def ref(self, rule: str) -> RuleRef:
        return RuleRef(rule=rule, valid_from=self.valid_from, valid_to=self.valid_to, source=self.source)


def parse_date(value: Any, *, file: str, row: int, field: str, allow_open: bool = False) -> date | None:
    """Parse an ISO date from a data file; '' / None / 'open' mean open only where `allow_open`."""
    if value in (None, "", OPEN):
        if allow_open:
            return None
        raise RulesDataError(file, row, f"{field} is required")
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise RulesDataError(file, row, f"{field} {value!r} is not an ISO date") from exc


def require_known(value: str, known: Iterable[str], *, file: str, row: int, what: str) -> str:
    """Raise a load error naming file and row when `value` is not one of `known` (e.g. an unknown category)."""
    known_set = set(known)
    if value not in known_set:
        raise RulesDataError(file, row, f"unknown {what} {value!r} (known: {', '.join(sorted(known_set))})")
    return value


class DatedTable(Generic[V]):
    """Rows keyed and dated; validated on construction; `on(key, d)` picks the row valid on `d`."""

    def __init__(self, rows: Iterable[DatedRow[V]], *, name: str, continuous: bool = False) -> None:
        self.name = name
        self.continuous = continuous
        grouped: dict[Hashable, list[DatedRow[V]]] = {}
        for row in rows:
            if row.valid_to is not None and row.valid_to < row.valid_from:
                raise RulesDataError(row.file, row.row, f"valid_to {row.valid_to} is before valid_from {row.valid_from}")
            grouped.setdefault(row.key, []).append(row)
        self._rows: dict[Hashable, list[DatedRow[V]]] = {}
        self._starts: dict[Hashable, list[date]] = {}
        for key, key_rows in grouped.items():
            key_rows.sort(key=lambda r: r.valid_from)
            self._check_periods(key, key_rows)
            self._rows[key] = key_rows
            self._starts[key] = [r.valid_from for r in key_rows]

    def _check_periods(self, key: Hashable, rows: list[DatedRow[V]]) -> None:
        for earlier, later in zip(rows, rows[1:]):
            if earlier.valid_to is None or earlier.valid_to >= later.valid_from:
                raise RulesDataError(
                    later.file, later.row,
                    f"{self.name} {key!r}: period from {later.valid_from} overlaps the row {earlier.row} "
                    f"({earlier.valid_from}..{earlier.valid_to or OPEN})",
                )
            if self.continuous and (later.valid_from - earlier.valid_to).days != 1:
                raise RulesDataError(
                    later.file, later.row,
                    f"{self.name} {key!r}: gap between {earlier.valid_to} (row {earlier.row}) and {later.valid_from}",
                )

    def on(self, key: Hashable, d: date) -> DatedRow[V] | None:
        """The row for `key` valid on date `d`, or None when no row covers that date."""
        starts = self._starts.get(key)
        if not starts:
            return None
        index = bisect.bisect_right(starts, d) - 1
        if index < 0:
            return None
        row = self._rows[key][index]
        return row if row.covers(d) else None

    def history(self, key: Hashable) -> tuple[DatedRow[V], ...]:
        """All rows of `key`, oldest first."""
        return tuple(self._rows.get(key, ()))

    def keys(self) -> tuple[Hashable, ...]:
        return tuple(self._rows)

    def rows(self) -> tuple[DatedRow[V], ...]:
        return tuple(r for rows in self._rows.values() for r in rows)

    def __len__(self) -> int:
        return sum(len(r) for r in self._rows.values())


def rows_from_records(
    records: Iterable[Mapping[str, Any]], *, file: str, key_fields: tuple[str, ...], value_of: Any, first_row: int = 1
) -> list[DatedRow[Any]]:
    """Build dated rows from dict records (JSON objects or CSV rows) holding valid_from / valid_to / source.

    `value_of(record, row_number)` converts a record into the row's value and may raise RulesDataError itself.
    Row numbers count from `first_row` (use 2 for a CSV with a header line, 0 for a JSON list index).
    """
    rows: list[DatedRow[Any]] = []
    for number, record in enumerate(records, start=first_row):
        missing = [f for f in (*key_fields, "valid_from", "source") if f not in record]
        if missing:
            raise RulesDataError(file, number, f"missing field(s) {', '.join(missing)}")
        if not str(record["source"]).strip():
            raise RulesDataError(file, number, "source is empty")
        key = tuple(record[f] for f in key_fields)
        rows.append(DatedRow(
            key=key if len(key) > 1 else key[0],
            value=value_of(record, number),
            valid_from=parse_date(record["valid_from"], file=file, row=number, field="valid_from"),  # type: ignore[arg-type]
            valid_to=parse_date(record.get("valid_to"), file=file, row=number, field="valid_to", allow_open=True),
            source=str(record["source"]),
            file=file,
            row=number,
        ))
    return rows
