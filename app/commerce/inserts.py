"""Bulk INSERT of plain row dicts through the driver's executemany, for the batch write path.

SQLAlchemy's Core executemany converts every value of every row through its generic parameter machinery; for the
backfill (tens of thousands of rows a second) that machinery cost more than SQLite itself. Here the INSERT is
compiled once per (dialect, table, columns), and each row becomes a parameter tuple (or dict, for named paramstyles)
by one `itemgetter` call plus the columns' own bind processors — the very functions SQLAlchemy would apply (UTC
datetimes, UUIDs, JSON), taken from the dialect, so the stored values are identical on SQLite and PostgreSQL.

Shortcuts that keep them identical: a processor that maps None to None is skipped for None values, the text
of an empty list or dict (very common in JSON columns) is computed once by the processor itself, and so is each
distinct UTC datetime of a batch (timestamps repeat: the batch's own `now`, an order's created/processed times). When the compiled
statement would need values the rows do not give (a column's Python-side default), the plain Core path is used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    keys: tuple[str, ...]  # row keys in parameter order
    names: tuple[str, ...] | None  # parameter names for named paramstyles; None when positional
    processors: tuple[tuple[int, Processor, bool, Any, Any], ...]  # position, processor, skip None, [] and {} texts

    def parameters(self, rows: Sequence[dict[str, Any]]) -> list[Any]:
        get = itemgetter(*self.keys)
        single = len(self.keys) == 1
        out, seen = [], {}  # seen: UTC datetime → its processed value (timestamps repeat within a batch)
        for row in rows:
            values = [get(row)] if single else list(get(row))
            for position, process, skip_none, empty_list, empty_dict in self.processors:
                value = values[position]
                if value is None:
                    if not skip_none:
                        values[position] = process(value)
                elif type(value) is datetime and value.tzinfo is UTC:
                    known = seen.get(value)
                    if known is None:
                        known = seen[value] = process(value)
                    values[position] = known
                elif value or empty_list is _NONE:
                    values[position] = process(value)
                elif type(value) is list or type(value) is tuple:  # both serialise as an empty JSON array
                    values[position] = empty_list
                elif type(value) is dict:
                    values[position] = empty_dict
                else:
                    values[position] = process(value)
            out.append(tuple(values) if self.names is None else dict(zip(self.names, values, strict=True)))
        return out


_NONE = object()  # the processor takes no empty containers (not a JSON column): every value goes through it


def _empty_texts(process: Processor) -> tuple[Any, Any]:
    try:
        return process([]), process({})
    except Exception:  # noqa: BLE001 - whatever it raises, such values will raise it again when processed
        return _NONE, _NONE


@lru_cache(maxsize=256)
def _plan(dialect: Dialect, table: Table, keys: tuple[str, ...]) -> _Plan | None:
    compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
    if compiled.positional:
        order = tuple(compiled.positiontup or ())
        names = None
    else:
        order = tuple(keys)
        names = tuple(compiled.escaped_bind_names.get(key, key) for key in order)
    if set(order) != set(keys) or len(order) != len(keys):
        return None  # the statement wants values the rows do not carry (defaults): let Core handle it
    processors = []
    for position, key in enumerate(order):
        process = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            empty_list, empty_dict = _empty_texts(process)
            processors.append((position, process, process(None) is None, empty_list, empty_dict))
    return _Plan(str(compiled), order, names, tuple(processors))


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT `rows` (dicts with the same keys) in one executemany."""
    if not rows:
        return
    connection = await session.connection()
    plan = _plan(connection.dialect, table, tuple(rows[0]))
    if plan is None:
        await session.execute(insert(table), list(rows))
        return
    await connection.exec_driver_sql(plan.sql, plan.parameters(rows))
