"""Sandbox store speed: store set-up, order generation, bulk JSONL production and a page query, per store size,
beside a baseline measured in the same run (decoding the same orders from JSON, i.e. the least a producer of this
data costs in Python).

Run: .venv/bin/python tests/bench/bench_sandbox.py [--sizes 5000,20000,50000] [--workers N]
Targets (issue 3): 50,000 orders generated in reasonable time and memory (lazy: set-up is per order plan only);
a 20,000-order bulk backfill in seconds. Figures depend on the machine's load: compare with the baseline column.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

from app.shopify.sandbox import bulk as bulk_module
from app.shopify.sandbox import generate_store, parallel
from app.shopify.sandbox.bulk import BulkOperation, BulkRunner, render, _lines_for
from app.shopify.sandbox.codegen import compile_projector
from app.shopify.sandbox.executor import Executor
from app.shopify.sandbox.faults import FaultPlan

QUERIES = Path(__file__).resolve().parents[2] / "app" / "shopify" / "queries"
PAGE = "{ orders(first: 50) { nodes { id name totalPriceSet { shopMoney { amount } } lineItems(first: 5) { nodes { id sku quantity } } } } }"


def rss_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def bench(size: int, workers: int) -> None:
    started = time.perf_counter()
    store = generate_store(seed=1, orders=size)
    setup = time.perf_counter() - started
    runner = BulkRunner(store, FaultPlan())
    plans, _, _ = runner._compile((QUERIES / "bulk_orders.graphql").read_text(), store.tokens[next(iter(store.tokens))])
    projector = compile_projector(plans.children)

    sample = min(size, 2000)
    started = time.perf_counter()
    texts = [render(_lines_for(store.order(i, cache=False), projector)) for i in range(sample)]
    del texts[200:]                        # keep a few for the baseline, not 2,000 rendered orders
    produce = (time.perf_counter() - started) / sample
    started = time.perf_counter()
    for text in texts:
        [json.loads(line) for line in text.splitlines()]
    baseline = (time.perf_counter() - started) / len(texts)

    op = BulkOperation(1, "full", "bench")
    started = time.perf_counter()
    out = open(os.devnull, "w")            # the server streams to a file; memory must not grow with the store
    if workers > 1:
        parallel.write_parallel(store, projector, out, op, workers)
    else:
        runner._write_serial(op, projector, out, None)
    whole = time.perf_counter() - started
    out.close()

    executor = Executor(store, None, plan="plus")
    grant = store.tokens[next(iter(store.tokens))]
    started = time.perf_counter()
    for _ in range(5):
        executor.buckets.clear()
        executor.run(grant, {"query": PAGE}, "2026-10", "http://bench")
    page = (time.perf_counter() - started) / 5
    print(f"{size:>6} orders | set-up {setup:5.2f}s | bulk {whole:6.2f}s = {op.root_object_count / whole:7.0f} orders/s "
          f"({workers} worker{'s' if workers > 1 else ''}) | per order {produce * 1e3:5.2f} ms vs baseline "
          f"{baseline * 1e3:5.2f} ms (JSON decode of the same lines) | 50-order page {page * 1e3:6.0f} ms | "
          f"peak RSS {rss_mb()} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="5000,20000,50000")
    parser.add_argument("--workers", type=int, default=bulk_module.WORKERS)
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        bench(size, args.workers)


if __name__ == "__main__":
    main()
