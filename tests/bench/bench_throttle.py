"""Live sync against the sandbox at the Standard plan's restore rate: share of the restore rate used and THROTTLED
errors left unhandled, for our cost-aware client beside a naive client (retries THROTTLED after 1 s) in the same run.

Run: .venv/bin/python tests/bench/bench_throttle.py [--seconds 60] [--orders 400]
Targets: >= 90 % of the restore rate used; 0 THROTTLED left unhandled. Both clients page through orders_updated_since
(first=1, the page size the 1000-point cap allows) for the same wall time; "used" is actual cost charged after the
bucket's own content (full at the start, whatever is left at the end), divided by restore rate x time.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx

from app.shopify.client import AdminClient, load_document
from app.shopify.sandbox import generate_store
from app.shopify.sandbox.app import create_sandbox_app
from app.shopify.throttle import forget_buckets

BASE = "http://sandbox.bench"
QUERY = ""


async def ours(http: httpx.AsyncClient, domain: str, token: str, seconds: float) -> tuple[float, int, float]:
    forget_buckets()
    client = AdminClient(domain, BASE, token, "2026-10", http=http, plan_restore_rate=100.0)
    cursor, spent, unhandled, started = None, 0.0, 0, time.monotonic()
    initial = None
    while time.monotonic() - started < seconds:
        try:
            data = await client.execute("orders_updated_since", {"first": 1, "after": cursor, "query": QUERY})
        except Exception:  # noqa: BLE001 — counted, the benchmark goes on
            unhandled += 1
            continue
        if initial is None:
            initial = client.bucket.maximum or 0.0
        page = data["orders"]
        cursor = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None
    elapsed = time.monotonic() - started
    spent = client.stats["actual_cost"]
    final = (client.last_cost or {}).get("throttleStatus", {}).get("currentlyAvailable", 0.0)
    return (spent - ((initial or 0) - final)) / (100.0 * elapsed), unhandled, client.stats["throttled"]


async def naive(http: httpx.AsyncClient, token: str, seconds: float) -> tuple[float, int, int]:
    document = load_document("orders_updated_since")
    cursor, spent, throttled, started, initial, final = None, 0.0, 0, time.monotonic(), None, 0.0
    while time.monotonic() - started < seconds:
        response = await http.post("/admin/api/2026-10/graphql.json", headers={"X-Shopify-Access-Token": token},
                                   json={"query": document.text, "operationName": document.operation,
                                         "variables": {"first": 1, "after": cursor, "query": QUERY}})
        body = response.json()
        cost = (body.get("extensions") or {}).get("cost") or {}
        if initial is None:
            initial = (cost.get("throttleStatus") or {}).get("maximumAvailable") or 0
        final = (cost.get("throttleStatus") or {}).get("currentlyAvailable", final)
        if any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in body.get("errors") or []):
            throttled += 1
            await asyncio.sleep(1.0)
            continue
        spent += cost.get("actualQueryCost") or 0
        page = body["data"]["orders"]
        cursor = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None
    elapsed = time.monotonic() - started
    return (spent - (initial - final)) / (100.0 * elapsed), 0, throttled


async def main(seconds: float, orders: int) -> None:
    for name in ("naive", "ours"):
        store = generate_store(seed=7, orders=orders, plan="standard")
        app = create_sandbox_app(store, plan="standard")
        token = next(iter(store.tokens))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE, timeout=60) as http:
            if name == "ours":
                share, unhandled, throttled = await ours(http, store.profile.domain, token, seconds)
            else:
                share, unhandled, throttled = await naive(http, token, seconds)
        print(f"{name:>5}: {share * 100:5.1f} % of the restore rate used over {seconds:.0f}s; THROTTLED answers "
              f"{throttled}, left unhandled {unhandled}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--orders", type=int, default=400)
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.orders))
