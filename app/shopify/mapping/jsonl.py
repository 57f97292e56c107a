"""Bulk-operation JSONL → nested GraphQL-shaped nodes the GraphQL mapper accepts.

Shopify writes each connection child as its own line with `__parentId` (the parent's gid). Which connection a child
belongs to comes from its `__typename` (every bulk document selects it), or else from the type in its gid.
`BulkAssembler` streams: it holds one root (an order) and its children, and hands the root over when the next root
line starts, so memory stays flat however large the file is. That needs children to follow their root (a grouped
file, `groupObjects: true`); a child whose parent is not the current root raises `BulkOrderError` rather than being
silently attached to nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

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
        self._ids: dict[str, dict[str, Any]] = {}

    def feed(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        parent_id = obj.pop("__parentId", None)
        if parent_id is None:
            done = self._root
            self._root, self._ids = obj, {}
            _index(obj, self._ids)
            return done
        parent = self._ids.get(parent_id)
        if parent is None:
            raise BulkOrderError(f"child {obj.get('id')} names parent {parent_id}, which is not the current root "
                                 "(the file must be grouped: children after their parent)")
        kind = _type_of(obj)
        field = self.connection_by_type.get(kind or "")
        if field is None:
            raise BulkOrderError(f"cannot tell which connection a {kind or 'untyped'} child belongs to")
        connection = parent.setdefault(field, {"nodes": []})
        if isinstance(connection, list):
            connection.append(obj)
        else:
            connection.setdefault("nodes", []).append(obj)
        _index(obj, self._ids)
        return None

    def finish(self) -> dict[str, Any] | None:
        done, self._root, self._ids = self._root, None, {}
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
