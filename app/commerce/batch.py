"""The one write path for versioned canonical rows: a batch of deliveries of one table, decided and written in bulk.

`apply_batch` loads the stored versions of every Shopify id in the batch in one query, then decides each delivery
in input order against the version it would meet had the deliveries been applied one at a time (a later delivery
of the same id meets the earlier one's outcome). Only then does it write, per table a handful of statements:
one executemany INSERT for new parents, one executemany UPDATE for newer versions, one DELETE per child table for
the replaced parents, one executemany INSERT per child table (the INSERTs through the driver, see
`app.commerce.inserts`), and the stale audit rows. So a batch leaves exactly
the state the one-by-one sequence leaves: the last applied version of each row with its own children, `revision`
raised once per applied version, one STALE_EVENT row per stale delivery and the per-kind counters summed.
A partial delivery (its source left some children out, see `partial_digest`) updates its parent but keeps the stored
children, and loses every tie against a complete delivery of the same version.

Invariant the callers keep: deliveries of different tables never influence each other, so a caller may group a
sequence of deliveries by table as long as it keeps their relative order within each table.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.commerce.digest import record_digest
from app.commerce.inserts import insert_rows
from app.commerce.models import StaleCounter, StaleDelivery
from app.db import utcnow
from app.ids import time_ordered_uuid

Status = Literal["applied", "stale", "unchanged"]
ChildRows = dict[Table, list[dict[str, Any]]]
CHUNK = 500  # ids per IN (...) list: far below SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True, slots=True)
class UpsertResult:
    kind: str
    shopify_id: str
    status: Status
    id: uuid.UUID


@dataclass(slots=True)
class Delivery:
    """One incoming version of one row. `values` may hold column expressions (keep the stored value) only in
    batches of a single delivery. `children` are the child rows per child table, built when the delivery is (so
    the record need not be kept until the batch is written); they point at `id`, the id a new row gets. When the
    row is already stored, the batch points them at the stored id instead."""

    kind: str
    shopify_id: str
    version_at: datetime | None
    digest: str
    values: dict[str, Any]
    children: ChildRows | None = None
    source: str | None = None
    id: uuid.UUID = field(default_factory=time_ordered_uuid)
    partial: bool = False  # the source left out some of the children: they are kept, never replaced (see `decide`)
    keep: dict[Table, Keep] | None = None  # child columns the source cannot carry (see `_keep_stored`)


@dataclass(frozen=True, slots=True)
class Keep:
    """Child columns a source cannot carry, and the child column that finds a new child's stored twin (a REST
    fulfilment line has no id of its own, only its order line's)."""

    columns: tuple[str, ...]
    match: str = "shopify_id"


@dataclass(slots=True)
class _Row:
    """A row as the batch sees it: stored (`is_new` False) or to be inserted, with the last applied delivery."""

    id: uuid.UUID
    version_at: datetime | None
    digest: str
    is_new: bool
    applied: Delivery | None = None
    raised: int = 0  # applied versions on top of the stored (or inserted) one
    children_from: Delivery | None = None  # the applied delivery whose children the row gets (None: keep stored)

    def apply(self, delivery: Delivery) -> None:
        """Take `delivery` as the row's version. Its children replace the row's unless it is partial: then the
        children of a complete delivery applied before stay, or for a new row with nothing better, its own."""
        self.version_at, self.digest, self.applied = delivery.version_at, delivery.digest, delivery
        if not delivery.partial or (self.is_new and (self.children_from is None or self.children_from.partial)):
            self.children_from = delivery


@dataclass(slots=True)
class _Stale:
    kind: str
    shopify_id: str
    incoming_at: datetime | None
    stored_at: datetime | None
    source: str | None


@dataclass(slots=True)
class _Plan:
    rows: dict[str, _Row] = field(default_factory=dict)
    stale: list[_Stale] = field(default_factory=list)


PARTIAL_MARK = "-"  # sorts before every hex digit


def partial_digest(digest: str) -> str:
    """The digest of a partial record (its source left out some of its children, as Shopify's bulk file does for
    fulfilment lines): its first character becomes `PARTIAL_MARK`, so a stored row says it is partial, and between
    two deliveries of one version the complete one compares larger and wins."""
    return PARTIAL_MARK + digest[1:]


def is_partial(digest: str) -> bool:
    return digest.startswith(PARTIAL_MARK)


def decide(stored_at: datetime | None, stored_hash: str, incoming_at: datetime | None, incoming_hash: str) -> Status:
    """applied / stale / unchanged for an incoming version against the stored one (None sorts oldest).
    A partial delivery of the version already stored complete is `unchanged`: it has nothing to add."""
    if incoming_hash == stored_hash and incoming_at == stored_at:
        return "unchanged"
    if stored_at is not None and (incoming_at is None or incoming_at < stored_at):
        return "stale"
    if incoming_at is not None and (stored_at is None or incoming_at > stored_at):
        return "applied"
    if incoming_hash == stored_hash or (is_partial(incoming_hash) and not is_partial(stored_hash)):
        return "unchanged"
    return "applied" if incoming_hash > stored_hash else "stale"


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def insert_for(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def apply_batch(session: AsyncSession, model: Any, shop_id: uuid.UUID, deliveries: Sequence[Delivery],
                      child_tables: Sequence[tuple[Table, str]] = ()) -> list[UpsertResult]:
    """Decide and write `deliveries` (one table, input order); one result per delivery, in input order.

    `child_tables` lists (table, parent foreign key) in delete order; inserts run in the reverse order, so rows that
    others point at (lines) exist before the rows pointing at them (tax lines)."""
    if not deliveries:
        return []
    table: Table = model.__table__
    plan = _Plan(rows=await _stored(session, table, shop_id, deliveries))
    results = [_decide_one(plan, delivery) for delivery in deliveries]
    await _write_parents(session, table, shop_id, plan)
    await _write_children(session, plan, child_tables)
    await record_stale_many(session, shop_id, plan.stale)
    return results


async def _stored(session: AsyncSession, table: Table, shop_id: uuid.UUID,
                  deliveries: Sequence[Delivery]) -> dict[str, _Row]:
    ids = list(dict.fromkeys(d.shopify_id for d in deliveries))
    found: dict[str, _Row] = {}
    for part in chunks(ids):
        query = select(table.c.shopify_id, table.c.id, table.c.source_updated_at, table.c.content_hash).where(
            table.c.shop_id == shop_id, table.c.shopify_id.in_(part) if len(part) > 1 else table.c.shopify_id == part[0])
        for row in (await session.execute(query)).all():
            found[row.shopify_id] = _Row(row.id, row.source_updated_at, row.content_hash, is_new=False)
    return found


def _decide_one(plan: _Plan, delivery: Delivery) -> UpsertResult:
    row = plan.rows.get(delivery.shopify_id)
    if row is None:
        row = _Row(delivery.id, delivery.version_at, delivery.digest, is_new=True)
        row.apply(delivery)
        plan.rows[delivery.shopify_id] = row
        return UpsertResult(delivery.kind, delivery.shopify_id, "applied", row.id)
    status = decide(row.version_at, row.digest, delivery.version_at, delivery.digest)
    if status == "stale":
        plan.stale.append(_Stale(delivery.kind, delivery.shopify_id, delivery.version_at, row.version_at,
                                 delivery.source))
    elif status == "applied":
        row.apply(delivery)
        row.raised += 1
    return UpsertResult(delivery.kind, delivery.shopify_id, status, row.id)


async def _write_parents(session: AsyncSession, table: Table, shop_id: uuid.UUID, plan: _Plan) -> None:
    now = utcnow()
    single = len(plan.rows) == 1  # only a batch of one may carry column expressions (see Delivery)
    await insert_rows(session, table, [_insert_values(shop_id, shopify_id, row, now, single)
                                       for shopify_id, row in plan.rows.items() if row.is_new])
    changed = [row for row in plan.rows.values() if not row.is_new and row.raised]
    plain = [row for row in changed if not _has_expressions(row)]
    if plain:
        stmt = update(table).where(table.c.id == bindparam("b_id")).values(
            revision=table.c.revision + bindparam("b_raised"))
        await session.execute(stmt, [{"b_id": row.id, "b_raised": row.raised, **_update_values(row, now)}
                                     for row in plain])
    for row in changed:
        if _has_expressions(row):  # a single delivery keeping stored columns: its own statement
            await session.execute(update(table).where(table.c.id == row.id).values(
                revision=table.c.revision + row.raised, **_update_values(row, now)))


def _has_expressions(row: _Row) -> bool:
    assert row.applied is not None
    return any(isinstance(value, ColumnElement) for value in row.applied.values.values())


def _insert_values(shop_id: uuid.UUID, shopify_id: str, row: _Row, now: datetime, single: bool) -> dict[str, Any]:
    assert row.applied is not None
    values = row.applied.values
    if single:  # a column expression means "keep the stored value": nothing is stored yet
        values = {key: (None if isinstance(value, ColumnElement) else value) for key, value in values.items()}
    return {"id": row.id, "shop_id": shop_id, "shopify_id": shopify_id, "source_updated_at": row.version_at,
            "content_hash": row.digest, "revision": 1 + row.raised, "created_at": now, "updated_at": now, **values}


def _update_values(row: _Row, now: datetime) -> dict[str, Any]:
    assert row.applied is not None
    return {"source_updated_at": row.version_at, "content_hash": row.digest, "updated_at": now,
            **row.applied.values}


async def _write_children(session: AsyncSession, plan: _Plan, child_tables: Sequence[tuple[Table, str]]) -> None:
    """Children of every parent whose version changed: the stored set deleted, the set of `children_from` inserted.
    A stored parent to which only partial deliveries applied keeps its stored children (their sources left some out)."""
    if not child_tables:
        return
    replaced = [row.id for row in plan.rows.values() if not row.is_new and row.children_from is not None]
    kept = await _keep_stored(session, plan, child_tables)
    for table, fk in child_tables:
        for part in chunks(replaced):
            await session.execute(delete(table).where(table.c[fk].in_(part) if len(part) > 1
                                                      else table.c[fk] == part[0]))
    built: dict[Table, list[dict[str, Any]]] = {table: [] for table, _ in child_tables}
    foreign_keys = dict(child_tables)
    for row in plan.rows.values():
        source = row.children_from
        if source is not None and source.children is not None:
            for table, rows in source.children.items():
                if source.id != row.id:  # built for a new row, the row is stored (or new from an earlier one)
                    for child in rows:
                        child[foreign_keys[table]] = row.id
                if (table, row.id) in kept:
                    _fill_missing(rows, kept[table, row.id], source.keep[table].match)  # type: ignore[index]
                built[table].extend(rows)
    for table, _ in reversed(child_tables):
        await insert_rows(session, table, built[table])


async def _keep_stored(session: AsyncSession, plan: _Plan, child_tables: Sequence[tuple[Table, str]]
                       ) -> dict[tuple[Table, uuid.UUID], dict[Any, dict[str, Any]]]:
    """The stored values of the columns the replacing deliveries cannot carry (`Delivery.keep`), per (table,
    parent id) and the child's match key: a new child gets them where it has none. (Webhooks cannot carry a line's
    HS code or cost, nor a fulfilment line's id; replacing the children must not erase what a GraphQL read stored.)"""
    kept: dict[tuple[Table, uuid.UUID], dict[Any, dict[str, Any]]] = {}
    for table, fk_name in child_tables:
        wanted: dict[Keep, list[uuid.UUID]] = {}
        for row in plan.rows.values():
            if not row.is_new and row.children_from is not None and (keep := (row.children_from.keep or {}).get(table)):
                wanted.setdefault(keep, []).append(row.id)
        fk = table.c[fk_name]
        for keep, parent_ids in wanted.items():
            for part in chunks(parent_ids):
                query = select(fk, table.c[keep.match], *(table.c[name] for name in keep.columns)).where(fk.in_(part))
                for parent_id, key, *values in (await session.execute(query)).all():
                    if key is not None:
                        pairs = zip(keep.columns, values, strict=True)
                        kept.setdefault((table, parent_id), {})[key] = {
                            name: value for name, value in pairs if not _missing(value)}
    return kept


def _fill_missing(children: list[dict[str, Any]], stored: dict[Any, dict[str, Any]], match: str) -> None:
    for child in children:
        for column, value in stored.get(child.get(match), {}).items():
            if _missing(child[column]):
                child[column] = value


def _missing(value: Any) -> bool:
    """None or an empty JSON value: what a source that cannot carry a column gives for it."""
    return value is None or (isinstance(value, (dict, list, tuple)) and not value)


async def record_stale_many(session: AsyncSession, shop_id: uuid.UUID, stale: Sequence[_Stale]) -> None:
    """One STALE_EVENT row per stale delivery; the per-(shop, kind) counters raised by their number."""
    if not stale:
        return
    now = utcnow()
    await session.execute(insert(StaleDelivery.__table__), [
        {"id": time_ordered_uuid(), "shop_id": shop_id, "kind": item.kind, "shopify_id": item.shopify_id,
         "incoming_version_at": item.incoming_at, "stored_version_at": item.stored_at, "source": item.source,
         "created_at": now} for item in stale])
    table = StaleCounter.__table__
    for kind, number in Counter(item.kind for item in stale).items():
        stmt = insert_for(session)(table).values(id=time_ordered_uuid(), shop_id=shop_id, kind=kind, count=number)
        await session.execute(stmt.on_conflict_do_update(index_elements=["shop_id", "kind"],
                                                         set_={"count": table.c["count"] + number}))


async def record_stale(session: AsyncSession, shop_id: uuid.UUID, kind: str, shopify_id: str,
                       incoming_at: datetime | None, stored_at: datetime | None, source: str | None) -> None:
    await record_stale_many(session, shop_id, [_Stale(kind, shopify_id, incoming_at, stored_at, source)])
