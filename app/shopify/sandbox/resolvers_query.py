"""QueryRoot resolvers: shop, app installation, orders (lazy paging with filters), nodes, subscriptions, bulk."""

from __future__ import annotations

from graphql import GraphQLError

from app.shopify.sandbox.catalog import LOCATIONS
from app.shopify.sandbox.connections import connection, decode_cursor, encode_cursor, list_connection
from app.shopify.sandbox.profile import PLANS, gid, order_index_of, parse_gid
from app.shopify.sandbox.resolvers import resolver
from app.shopify.sandbox.search import compare, parse_moment, parse_query, range_bounds

SUPPORTED_VERSIONS = ("2026-01", "2026-04", "2026-07", "2026-10")
ORDER_FIELDS = {"updated_at", "created_at", "processed_at", "id", "name", "financial_status", "fulfillment_status",
                "status", "test", "gateway"}
_FINANCIAL = {"paid": "PAID", "pending": "PENDING", "authorized": "AUTHORIZED", "refunded": "REFUNDED",
              "partially_refunded": "PARTIALLY_REFUNDED", "voided": "VOIDED"}
_FULFILMENT = {"shipped": "FULFILLED", "fulfilled": "FULFILLED", "partial": "PARTIALLY_FULFILLED",
               "unshipped": "UNFULFILLED", "unfulfilled": "UNFULFILLED"}


@resolver("QueryRoot", "shop")
def shop(_, info):
    p = info.context.store.profile
    plan_names = {"standard": "Basic", "advanced": "Advanced", "plus": "Shopify Plus", "enterprise": "Enterprise"}
    return {"__typename": "Shop", "id": gid("Shop", 548380009), "name": p.display_name, "myshopifyDomain": p.domain,
            "email": f"owner@{p.domain}", "contactEmail": f"owner@{p.domain}", "currencyCode": p.currency,
            "ianaTimezone": "UTC", "timezoneAbbreviation": "UTC", "taxesIncluded": p.taxes_included,
            "taxShipping": True, "url": f"https://{p.domain}", "enabledPresentmentCurrencies":
                ["EUR", "USD", "GBP", "AUD", "NZD", "SGD", "MYR"],
            "plan": {"displayName": plan_names[p.plan], "publicDisplayName": plan_names[p.plan],
                     "shopifyPlus": p.plan in ("plus", "enterprise"), "partnerDevelopment": False},
            "billingAddress": {"__typename": "ShopAddress", "countryCodeV2": p.country, "country": p.country}}


@resolver("QueryRoot", "currentAppInstallation")
def app_installation(_, info):
    grant = info.context.grant
    return {"__typename": "AppInstallation", "id": gid("AppInstallation", abs(hash(grant.name)) % 10**9),
            "accessScopes": [{"handle": s, "description": None} for s in sorted(grant.scopes)],
            "app": {"__typename": "App", "id": gid("App", 1), "title": f"taxrecon ({grant.name} token)",
                    "handle": "taxrecon"}}


@resolver("QueryRoot", "publicApiVersions")
def api_versions(_, info):
    return [{"handle": v, "displayName": v + (" (Latest)" if v == SUPPORTED_VERSIONS[-1] else ""), "supported": True}
            for v in SUPPORTED_VERSIONS]


def _ts_bounds(terms):
    low, low_inc, high, high_inc = range_bounds(terms, parse_moment)
    if low is None and high is None:
        return None
    return (low and low.timestamp(), low_inc, high and high.timestamp(), high_inc)


def _order_predicates(parsed):
    checks = []
    for term in parsed.for_field("id"):
        value = int(term.value) if term.value.isdigit() else None
        if value is not None:
            checks.append(lambda o, op=term.op, v=value: compare(int(o["legacyResourceId"]), op, v))
    for term in parsed.for_field("name"):
        checks.append(lambda o, v=term.value: o["name"].lstrip("#") == v.lstrip("#"))
    for term in parsed.for_field("financial_status"):
        checks.append(lambda o, v=_FINANCIAL.get(term.value.lower(), term.value.upper()): o["displayFinancialStatus"] == v)
    for term in parsed.for_field("fulfillment_status"):
        checks.append(lambda o, v=_FULFILMENT.get(term.value.lower(), term.value.upper()):
                      o["displayFulfillmentStatus"] == v)
    for term in parsed.for_field("gateway"):
        checks.append(lambda o, v=term.value: v in o["paymentGatewayNames"])
    for term in parsed.for_field("test"):
        checks.append(lambda o, v=term.value.lower() == "true": o["test"] == v)
    for term in parsed.for_field("status"):
        value = term.value.lower()
        if value == "open":
            checks.append(lambda o: not o["closed"] and o["cancelledAt"] is None)
        elif value == "closed":
            checks.append(lambda o: o["closed"])
        elif value == "cancelled":
            checks.append(lambda o: o["cancelledAt"] is not None)
    return checks


def scan_orders(ctx, args, nodes, field_path: str = "orders"):
    """(matching orders with their cursors for the page, has_next, has_previous)."""
    store = ctx.store
    sort = args.get("sortKey") or "ID"
    sort = "UPDATED_AT" if sort == "UPDATED_AT" else "ID"      # ID, CREATED_AT, PROCESSED_AT, ORDER_NUMBER: index order
    parsed = parse_query(args.get("query"), ORDER_FIELDS)
    if args.get("query"):
        ctx.search.append({"path": [field_path], "query": args["query"],
                           "parsed": [t.__dict__ for t in parsed.terms], "warnings": parsed.warnings})
    updated = _ts_bounds(parsed.for_field("updated_at"))
    created = _ts_bounds(parsed.for_field("created_at") + parsed.for_field("processed_at"))
    checks = _order_predicates(parsed)
    backwards = args.get("last") is not None
    reverse = bool(args.get("reverse")) ^ backwards
    cursor = args.get("before") if backwards else args.get("after")
    after = None
    if cursor is not None:
        payload = decode_cursor(cursor, nodes)
        if payload.get("s") != sort or "i" not in payload:
            raise GraphQLError("Invalid cursor for current pagination sort.", nodes,
                               extensions={"code": "INVALID_CURSOR"})
        after = (payload["v"], payload["i"])
    size = args.get("first") if not backwards else args.get("last")
    size = 250 if size is None else size          # bulk operations page internally; documents always give a size
    found = []
    with store.lock:
        for index in store.indices(sort, reverse, after, updated, created):
            order = store.order(index)
            if checks and not all(check(order) for check in checks):
                continue
            if len(found) == size:
                more = True
                break
            found.append((encode_cursor({"s": sort, "v": store.sort_value(sort, index), "i": index}), order))
        else:
            more = False
    if backwards:
        return list(reversed(found)), cursor is not None, more
    return found, more, cursor is not None


@resolver("QueryRoot", "orders")
def orders(_, info, **args):
    found, has_next, has_previous = scan_orders(info.context, args, info.field_nodes)
    return connection(found, has_next, has_previous)


@resolver("QueryRoot", "ordersCount")
def orders_count(_, info, **args):
    """Capped at `limit` (default 10,000, like Shopify; `limit: null` counts everything), then AT_LEAST."""
    ctx = info.context
    limit = args["limit"] if "limit" in args else 10_000
    if not args.get("query"):
        count = ctx.store.order_count
    else:
        count, after = 0, None
        while limit is None or count <= limit:
            page, more, _ = scan_orders(ctx, {"query": args["query"], "first": 250, "after": after}, info.field_nodes)
            count += len(page)
            if not more:
                break
            after = page[-1][0]
    if limit is not None and count > limit:
        return {"count": limit, "precision": "AT_LEAST"}
    return {"count": count, "precision": "EXACT"}


@resolver("QueryRoot", "order")
def order(_, info, id):
    return info.context.store.order_by_gid(id)


def find_node(ctx, value: str):
    parsed = parse_gid(value)
    if parsed is None:
        raise GraphQLError(f"Invalid global id '{value}'", extensions={"code": "argumentLiteralsIncompatible"})
    kind, _ = parsed
    store = ctx.store
    if kind == "Order":
        return store.order_by_gid(value)
    if kind == "BulkOperation":
        op = store.bulk_operations.get(value)
        return op.node() if op else None
    if kind == "WebhookSubscription":
        return store.subscriptions.get(value)
    if kind == "InventoryItem":
        return store.inventory.items.get(value)
    collection = _CHILD_COLLECTIONS.get(kind)
    if collection is None:
        return None
    index = order_index_of(kind, parsed[1])
    if index is None or not 0 <= index < store.order_count:
        return None
    return next((item for item in store.order(index)[collection] if item["id"] == value), None)


_CHILD_COLLECTIONS = {"Fulfillment": "fulfillments", "Refund": "refunds", "Return": "returns",
                      "FulfillmentOrder": "fulfillmentOrders", "LineItem": "lineItems"}


@resolver("QueryRoot", "node")
def node(_, info, id):
    return find_node(info.context, id)


@resolver("QueryRoot", "nodes")
def nodes(_, info, ids):
    return [find_node(info.context, value) for value in ids]


@resolver("QueryRoot", "webhookSubscriptions")
def webhook_subscriptions(_, info, **args):
    subs = list(info.context.store.subscriptions.values())
    if args.get("topics"):
        subs = [s for s in subs if s["topic"] in args["topics"]]
    for key in ("uri", "callbackUrl"):
        if args.get(key):
            subs = [s for s in subs if s["uri"] == args[key]]
    return list_connection(subs, args, info.field_nodes)


@resolver("QueryRoot", "currentBulkOperation")
def current_bulk_operation(_, info, type="QUERY"):
    ops = [op for op in info.context.store.bulk_operations.values() if op.type == type and op.owner ==
           info.context.grant.name]
    return ops[-1].node() if ops else None


@resolver("QueryRoot", "bulkOperation")
def bulk_operation(_, info, id):
    op = info.context.store.bulk_operations.get(id)
    return op.node() if op and op.owner == info.context.grant.name else None


@resolver("QueryRoot", "locations")
def locations(_, info, **args):
    items = [{"__typename": "Location", "id": gid("Location", number), "legacyResourceId": str(number),
              "name": name, "isActive": True, "address": {"countryCode": country}} for number, name, country in LOCATIONS]
    return list_connection(items, args, info.field_nodes)


@resolver("QueryRoot", "inventoryItem")
def inventory_item(_, info, id):
    return info.context.store.inventory.items.get(id)


@resolver("InventoryItem", "inventoryLevel")
def inventory_level(item, info, locationId, **_):
    book = info.context.store.inventory
    return book.level_node(item["id"], locationId) if (item["id"], locationId) in book.levels else None


@resolver("InventoryItem", "inventoryLevels")
def inventory_levels(item, info, **args):
    book = info.context.store.inventory
    levels = [book.level_node(item_id, loc) for (item_id, loc) in book.levels if item_id == item["id"]]
    return list_connection(levels, args, info.field_nodes)


@resolver("InventoryLevel", "quantities")
def level_quantities(level, info, names):
    return [q for q in level["quantities"] if q["name"] in names]


@resolver("Order", "fulfillmentsCount")
def fulfillments_count(order_, info, **_):
    return {"count": len(order_["fulfillments"]), "precision": "EXACT"}


def restore_rate(plan: str) -> int:
    return PLANS[plan][0]
