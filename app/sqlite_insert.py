"""Multi-row INSERTs on a plain `sqlite3` connection, with SQLAlchemy's own conversions of every value.

For the hottest write path on SQLite, webhook intake: per row and per statement, SQLAlchemy's ORM and Core
execution cost more than SQLite's own work. `SQLiteInsert` builds the statement text once per row count and
converts each value with its column type's bind processor, the very function SQLAlchemy applies, so the rows are
stored exactly as through the ORM (UUIDs as 32 hex characters, datetimes as UTC text, JSON as text) and read back
by the models as usual. A value left out takes the column's Python-side default, else NULL; a left-out column
that is NOT NULL without a default is an error, as it would be through the ORM.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import NullType

_DIALECT = sqlite.dialect()
_MISSING = object()
_MAX_PARAMETERS = 32_766  # SQLITE_MAX_VARIABLE_NUMBER since SQLite 3.32


class SQLiteInsert:
    """`INSERT INTO table (every column) VALUES (…), (…) [suffix]` for rows given as dicts keyed by column key."""

    def __init__(self, table: Table, suffix: str = "") -> None:
        self.table = table
        self.columns: list[Column[Any]] = list(table.columns)
        self._steps: list[tuple[str, Callable[[Any], Any] | None, bool, Column[Any]]] | None = None
        names = ", ".join(f'"{column.name}"' for column in self.columns)
        self._head = f'INSERT INTO "{table.name}" ({names}) VALUES '
        self._one = "(" + ", ".join("?" for _ in self.columns) + ")"
        self._suffix = f" {suffix}" if suffix else ""
        self.max_rows = _MAX_PARAMETERS // len(self.columns)
        self._text = lru_cache(maxsize=64)(self._build)

    def _build(self, rows: int) -> str:
        return self._head + ", ".join([self._one] * rows) + self._suffix

    @property
    def _plan(self) -> list[tuple[str, Callable[[Any], Any] | None, bool, Column[Any]]]:
        """(key, converter, whether None converts to None, column) per column, built on first use: a foreign-key
        column takes its type from the column it references, which SQLAlchemy resolves only once that table's
        model is imported."""
        if self._steps is None:
            self._steps = []
            for column in self.columns:
                convert = _bind_processor(column)
                self._steps.append((column.key, convert, convert is None or convert(None) is None, column))
        return self._steps

    def parameters(self, row: dict[str, Any]) -> list[Any]:
        values: list[Any] = []
        append = values.append
        for key, convert, none_stays, column in self._plan:
            value = row.get(key, _MISSING)
            if value is _MISSING:
                value = _default(column)
            if convert is None or (value is None and none_stays):
                append(value)
            else:
                append(convert(value))
        return values

    def execute(self, connection: sqlite3.Connection, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """Insert `rows` (at most `max_rows`) in one statement; returns what its RETURNING suffix selects."""
        if not rows:
            return []
        if len(rows) > self.max_rows:
            raise ValueError(f"{len(rows)} rows exceed the {self.max_rows} one {self.table.name} INSERT can bind")
        flat = [value for row in rows for value in self.parameters(row)]
        return connection.execute(self._text(len(rows)), flat).fetchall()


def _bind_processor(column: Column[Any]) -> Callable[[Any], Any] | None:
    column_type = column.type
    if isinstance(column_type, NullType) and column.foreign_keys:
        column_type = next(iter(column.foreign_keys)).column.type  # raises if the referenced table is unknown
    return column_type.dialect_impl(_DIALECT).bind_processor(_DIALECT)


def _default(column: Column[Any]) -> Any:
    default = column.default
    if default is not None and getattr(default, "is_scalar", False):
        return default.arg  # type: ignore[attr-defined]
    if default is not None and getattr(default, "is_callable", False):
        return default.arg(None)  # type: ignore[attr-defined]  # SQLAlchemy wraps it to take an (unused) context
    if column.nullable:
        return None
    raise ValueError(f"{column.table.name}.{column.name} has no value and no default")


def uuid_text(value: Any) -> str:
    """How SQLAlchemy's `Uuid` stores a UUID on SQLite (to match RETURNING values with the UUIDs sent)."""
    return value.hex
