"""Bulk-operation JSONL → nested GraphQL-shaped nodes the GraphQL mapper accepts.

Shopify writes each connection child as its own line with `__parentId` (the parent's gid). Which connection a child
belongs to comes from its `__typename` (every bulk document selects it), or else from the type in its gid.
`BulkAssembler` streams: it holds one root (an order) and its children, and hands the root over when the next root
line starts, so memory stays flat however large the file is. That needs children to follow their root (a grouped
file, `groupObjects: true`); a child whose parent is not the current root raises `BulkOrderError` rather than being
silently attached to nothing.

Speed (the backfill joins thousands of orders a second): most children name the root itself, so the root is checked
first; the index of every object with an id under the root is only built when a child names something else (a
refund's line items name the refund), and is then kept up to date as children arrive. Lines are parsed by
`parse_line` (orjson, falling back to `json` for what orjson refuses, so the result never depends on the parser).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

CONNECTION_BY_TYPE = {
    "LineItem": "lineItems", "ShippingLine": "shippingLines", "RefundLineItem": "refundLineItems",
    "RefundShippingLine": "refundShippingLines", "OrderAdjustment": "orderAdjustments",
    "FulfillmentOrder": "fulfillmentOrders", "FulfillmentOrderLineItem": "lineItems",
    "FulfillmentLineItem": "fulfillmentLineItems", "Return": "returns", "ReturnLineItem": "returnLineItems",
    "UnverifiedReturnLineItem": "returnLineItems", "OrderTransaction": "transactions",
    "CountryHarmonizedSystemCode": "countryHarmonizedSystemCodes",
}


class BulkOrderError(ValueError):
    """Raised when a JSONL child names a parent that is not the root being assembled."""


def parse_line(line: bytes | str) -> Any:
    """One JSONL line. orjson refuses a few things `json` accepts (integers beyond 64 bits, NaN, lone surrogates):
    those lines go through `json`, and what neither accepts raises `json`'s ValueError."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)


def _type_of(obj: dict[str, Any]) -> str | None:
    if obj.get("__typename"):
        return str(obj["__typename"])
    ident = obj.get("id")
    if isinstance(ident, str) and ident.startswith("gid://shopify/"):
        return ident.split("/")[3]
    return None


def _index(obj: Any, into: dict[str, dict[str, Any]]) -> None:
    if isinstance(obj, dict):
        if isinstance(obj.get("id"), str):
            into[obj["id"]] = obj
        for value in obj.values():
            if isinstance(value, (dict, list)):
                _index(value, into)
    elif isinstance(obj, list):
        for item in obj:
            _index(item, into)


class BulkAssembler:
    """Feed JSONL objects in file order; complete roots come out of `feed` and `finish`."""

    def __init__(self, connection_by_type: dict[str, str] | None = None) -> None:
        self.connection_by_type = connection_by_type or CONNECTION_BY_TYPE
        self._root: dict[str, Any] | None = None
        self._root_id: str | None = None
        self._ids: dict[str, dict[str, Any]] | None = None  # built on the first child that names a non-root

    def feed(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        parent_id = obj.pop("__parentId", None)
        if parent_id is None:
            done = self._root
            root_id = obj.get("id")
            self._root, self._root_id, self._ids = obj, root_id if isinstance(root_id, str) else None, None
            return done
        parent = self._parent(parent_id, obj)
        kind = _type_of(obj)
        field = self.connection_by_type.get(kind or "")
        if field is None:
            raise BulkOrderError(f"cannot tell which connection a {kind or 'untyped'} child belongs to")
        connection = parent.setdefault(field, {"nodes": []})
        if isinstance(connection, list):
            connection.append(obj)
        else:
            connection.setdefault("nodes", []).append(obj)
        if self._ids is not None:
            _index(obj, self._ids)
        return None

    def _parent(self, parent_id: Any, child: dict[str, Any]) -> dict[str, Any]:
        if self._ids is None:
            if parent_id == self._root_id and self._root is not None:
                return self._root
            self._ids = {}
            if self._root is not None:
                _index(self._root, self._ids)  # the root with every child attached so far
        parent = self._ids.get(parent_id)
        if parent is None:
            raise BulkOrderError(f"child {child.get('id')} names parent {parent_id}, which is not the current root "
                                 "(the file must be grouped: children after their parent)")
        return parent

    def finish(self) -> dict[str, Any] | None:
        done, self._root, self._root_id, self._ids = self._root, None, None, None
        return done


def assemble(objects: Iterable[dict[str, Any]], connection_by_type: dict[str, str] | None = None
             ) -> Iterator[dict[str, Any]]:
    """Roots with their children attached, in file order (streaming; see `BulkAssembler`)."""
    assembler = BulkAssembler(connection_by_type)
    for obj in objects:
        done = assembler.feed(obj)
        if done is not None:
            yield done
    last = assembler.finish()
    if last is not None:
        yield last
