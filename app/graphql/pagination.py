"""Relay connections with keyset cursors.

A cursor is an opaque, url-safe token of the sort key of the last row seen (for example `(updated_at, id)`).
Keyset pagination stays fast and stable on large tables and under concurrent inserts, unlike OFFSET.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

import strawberry
from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidInput

NodeT = TypeVar("NodeT")
RowT = TypeVar("RowT")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    total_count: int


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, UUID):
        return {"u": str(value)}
    return value


def _restore(value: Any) -> Any:
    if isinstance(value, dict) and "t" in value:
        return datetime.fromisoformat(value["t"])
    if isinstance(value, dict) and "u" in value:
        return UUID(value["u"])
    return value


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([_jsonable(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != width:
            raise ValueError("wrong width")
        return [_restore(v) for v in values]
    except (ValueError, TypeError) as exc:
        raise InvalidInput("the `after` cursor is not one this API issued", code="INVALID_CURSOR", field="after") from exc


def check_page_size(first: int, maximum: int) -> None:
    if first < 1 or first > maximum:
        raise InvalidInput(f"`first` must be between 1 and {maximum}", code="INVALID_PAGE_SIZE", field="first")


async def keyset_page(
    session: AsyncSession,
    stmt: Select[Any],
    sort_columns: Sequence[Any],
    *,
    first: int,
    after: str | None,
    to_node: Callable[[Any], NodeT],
) -> Connection[NodeT]:
    """One page of `stmt` ordered by `sort_columns` ascending (the last one must be unique, e.g. the id)."""
    total = (await session.execute(select(func.count()).select_from(stmt.order_by(None).subquery()))).scalar_one()
    page_stmt = stmt.order_by(*sort_columns).limit(first + 1)
    if after:
        page_stmt = page_stmt.where(tuple_(*sort_columns) > tuple_(*decode_cursor(after, len(sort_columns))))
    rows = list((await session.execute(page_stmt)).scalars().all())
    has_next = len(rows) > first
    rows = rows[:first]
    edges = [Edge(cursor=encode_cursor([getattr(row, c.key) for c in sort_columns]), node=to_node(row)) for row in rows]
    return Connection(edges=edges, page_info=PageInfo(has_next_page=has_next,
                                                      end_cursor=edges[-1].cursor if edges else None),
                      total_count=total)
