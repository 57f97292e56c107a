"""Relay connections with opaque cursors, for the store's lists (an order's lines, refunds' lines, subscriptions...).

Root `orders` pages through the store lazily (resolvers.orders_connection); everything else is a Python list sliced
here. A cursor is base64 of a small JSON object; a cursor that does not decode is Shopify's "Invalid cursor" error.
"""

from __future__ import annotations

import base64
import json

from graphql import GraphQLError


def encode_cursor(payload: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, nodes=None) -> dict:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(payload, dict):
            raise ValueError
        return payload
    except (ValueError, TypeError):
        raise GraphQLError(f"Invalid cursor for current pagination sort. ({cursor!r})", nodes,
                           extensions={"code": "INVALID_CURSOR"}) from None


def connection(edges: list[tuple[str, object]], has_next: bool, has_previous: bool) -> dict:
    return {
        "__typename": "Connection",
        "edges": [{"cursor": cursor, "node": node} for cursor, node in edges],
        "nodes": [node for _, node in edges],
        "pageInfo": {"hasNextPage": has_next, "hasPreviousPage": has_previous,
                     "startCursor": edges[0][0] if edges else None, "endCursor": edges[-1][0] if edges else None},
    }


def list_connection(items: list, args: dict, nodes=None) -> dict:
    """Slice a list by first/after/last/before/reverse (cursors are positions in the list's own order)."""
    ordered = list(reversed(items)) if args.get("reverse") else list(items)
    start, end = 0, len(ordered)
    if args.get("after") is not None:
        start = int(decode_cursor(args["after"], nodes).get("p", -1)) + 1
    if args.get("before") is not None:
        end = int(decode_cursor(args["before"], nodes).get("p", len(ordered)))
    window = list(enumerate(ordered))[max(start, 0):max(end, 0)]
    first, last = args.get("first"), args.get("last")
    has_next = has_previous = False
    if first is not None:
        has_next = len(window) > first or end < len(ordered)
        window = window[:first]
        has_previous = start > 0
    elif last is not None:
        has_previous = len(window) > last or start > 0
        window = window[max(len(window) - last, 0):]
        has_next = end < len(ordered)
    return connection([(encode_cursor({"p": position}), item) for position, item in window], has_next, has_previous)
