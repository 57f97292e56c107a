"""shopifyPaymentsAccount { payouts, balanceTransactions }: paged day by day, built on demand."""

from __future__ import annotations

from app.shopify.sandbox.connections import connection, decode_cursor, encode_cursor
from app.shopify.sandbox.money import ZERO, money_v2
from app.shopify.sandbox.payouts import balance_transactions_for_day, payout, payout_days
from app.shopify.sandbox.profile import PAYOUT_BASE, gid
from app.shopify.sandbox.resolvers import resolver
from app.shopify.sandbox.search import compare, parse_query


@resolver("QueryRoot", "shopifyPaymentsAccount")
def account(_, info):
    p = info.context.store.profile
    return {"__typename": "ShopifyPaymentsAccount", "id": gid("ShopifyPaymentsAccount", 1), "activated": True,
            "country": p.country, "defaultCurrency": p.currency, "onboardable": False,
            "balance": [money_v2(ZERO, p.currency)],
            "payoutStatementDescriptor": p.display_name[:22], "accountOpenerName": "Sandbox Owner"}


def _id_checks(ctx, args, fields: set[str], path: str):
    parsed = parse_query(args.get("query"), fields)
    if args.get("query"):
        ctx.search.append({"path": [path], "query": args["query"], "parsed": [t.__dict__ for t in parsed.terms],
                           "warnings": parsed.warnings})
    return parsed


def _page(items_iter, args, nodes):
    size = args.get("first") if args.get("first") is not None else args.get("last") or 0
    found, more = [], False
    for cursor, item in items_iter:
        if len(found) == size:
            more = True
            break
        found.append((cursor, item))
    return connection(found, more, args.get("after") is not None)


@resolver("ShopifyPaymentsAccount", "payouts")
def payouts(_, info, **args):
    ctx = info.context
    parsed = _id_checks(ctx, args, {"id", "status"}, "payouts")
    days = payout_days(ctx.store)
    if bool(args.get("reverse")):
        days.reverse()
    after = decode_cursor(args["after"], info.field_nodes)["d"] if args.get("after") else None

    def items():
        started = after is None
        for day in days:
            if not started:
                started = day == after
                continue
            legacy = PAYOUT_BASE + day
            if not all(compare(legacy, t.op, int(t.value)) for t in parsed.for_field("id") if t.value.isdigit()):
                continue
            node = payout(ctx.store, day)
            if any(node["status"] != t.value.upper() for t in parsed.for_field("status")):
                continue
            yield encode_cursor({"d": day}), node

    return _page(items(), args, info.field_nodes)


@resolver("ShopifyPaymentsAccount", "balanceTransactions")
def balance_transactions(_, info, **args):
    ctx = info.context
    parsed = _id_checks(ctx, args, {"id", "payout_id", "payments_transfer_id"}, "balanceTransactions")
    days = payout_days(ctx.store)
    reverse = bool(args.get("reverse"))
    if reverse:
        days.reverse()
    after = decode_cursor(args["after"], info.field_nodes) if args.get("after") else None
    id_terms = [t for t in parsed.for_field("id") if t.value.isdigit()]
    payout_terms = [t for t in parsed.for_field("payout_id") + parsed.for_field("payments_transfer_id")
                    if t.value.isdigit()]

    def items():
        for day in days:
            if after is not None and (day < after["d"] if not reverse else day > after["d"]):
                continue
            if not all(compare(PAYOUT_BASE + day, t.op, int(t.value)) for t in payout_terms):
                continue
            txns = balance_transactions_for_day(ctx.store, day)
            if reverse:
                txns.reverse()
            for position, txn in enumerate(txns):
                if after is not None and day == after["d"] and position <= after["p"]:
                    continue
                if not all(compare(txn["_legacy"], t.op, int(t.value)) for t in id_terms):
                    continue
                yield encode_cursor({"d": day, "p": position}), txn

    return _page(items(), args, info.field_nodes)
