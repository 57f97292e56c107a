"""Webhook intake throughput and latency on SQLite, in one process, beside a no-storage baseline.

    .venv/bin/python tests/bench/bench_webhooks.py [--count 3000] [--concurrency 8] [--rounds 3] [--with-jobs]

Starts uvicorn on a loopback port inside this process with two routes: the real `POST /webhooks/shopify` (shop
lookup, HMAC, JSON parse, raw event + outbox row in one SQLite transaction) and a baseline that does the same HMAC and
JSON parse but stores nothing. An httpx client sends `--count` signed, distinct order webhooks to each (after a
warm-up), `--concurrency` at a time, and prints requests/s with p50/p99 latency. `--with-jobs` also runs the job
runtime (relay + embedded worker), so the ingest jobs compete for the same process while the intake is measured.
Targets: >= 1,000 webhooks/s and p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import JSONResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from app.config import Settings  # noqa: E402
from app.db import Database  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.security import SecretBox  # noqa: E402
from app.shopify.mapping import parse_body  # noqa: E402
from app.shopify.webhooks import routes, sign, signature_valid  # noqa: E402
from app.shops.service import create_shop  # noqa: E402

DOMAIN = "bench-shop.myshopify.com"
SECRET = "bench-webhook-secret"
FIXTURE = ROOT / "tests" / "fixtures" / "shopify" / "SYNTHETIC-eu-de-vat-taxes-included-with-digital-line.json"


def bodies(count: int, offset: int) -> list[bytes]:
    template = parse_body(FIXTURE.read_bytes())["order"]
    out = []
    for n in range(count):
        order = copy.deepcopy(template)
        order["id"] = 1_000_000_000_000 + offset + n
        order["admin_graphql_api_id"] = f"gid://shopify/Order/{order['id']}"
        out.append(json.dumps(order, default=str).encode())
    return out


async def baseline(request: Request) -> JSONResponse:
    body = await request.body()
    if not signature_valid(body, SECRET, request.headers.get("x-shopify-hmac-sha256")):
        return JSONResponse({"error": "HMAC_INVALID"}, status_code=401)
    parse_body(body.decode("utf-8"))
    return JSONResponse({"status": "parsed"})


async def run_load(url: str, payloads: list[bytes], concurrency: int, prefix: str) -> tuple[float, list[float]]:
    queue: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue()
    for index, payload in enumerate(payloads):
        queue.put_nowait((index, payload))
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(limits=limits, timeout=30) as http:
        async def worker() -> None:
            while not queue.empty():
                index, payload = queue.get_nowait()
                headers = {"X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": DOMAIN,
                           "X-Shopify-Hmac-Sha256": sign(payload, SECRET), "X-Shopify-Event-Id": f"{prefix}-{index}",
                           "X-Shopify-Triggered-At": "2026-11-27T00:00:00Z", "Content-Type": "application/json"}
                started = time.perf_counter()
                response = await http.post(url, content=payload, headers=headers)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:200]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started, latencies


def report(label: str, elapsed: float, latencies: list[float]) -> None:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"{label:<40} {len(latencies):>6} req  {len(latencies) / elapsed:>8.0f} req/s  "
          f"p50 {statistics.median(ordered) * 1000:6.1f} ms  p99 {p99 * 1000:6.1f} ms")


async def main(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    settings = Settings(_env_file=None, database_url=f"sqlite:///{workdir}/bench.db", broker_url="memory://",
                        secret_key=Fernet.generate_key().decode(), log_level="WARNING")  # type: ignore[call-arg]
    upgrade(settings)
    database = Database.from_settings(settings)
    box = SecretBox.from_settings(settings)
    async with database.unit_of_work() as session:
        await create_shop(session, box=box, domain=DOMAIN, webhook_secret=SECRET)
    runtime = None
    if args.with_jobs:
        from app.jobs import JobRuntime

        runtime = JobRuntime.from_settings(settings, database)
        await runtime.start(embedded_worker=True)
    app = Starlette(routes=[*routes(), Route("/baseline", baseline, methods=["POST"])])
    app.state.settings, app.state.database, app.state.box = settings, database, box
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        await run_load(f"{base}/baseline", bodies(200, 0), args.concurrency, "warm-b")
        await run_load(f"{base}/webhooks/shopify", bodies(200, 10_000_000), args.concurrency, "warm-w")
        print(f"{args.count} order webhooks per run, concurrency {args.concurrency}, SQLite WAL, one process"
              f"{' + job runtime' if runtime else ''}; {args.rounds} alternating rounds (the host's load drifts)")
        for round_no in range(args.rounds):
            payloads = bodies(args.count, round_no * args.count)
            report(f"[{round_no + 1}] baseline (HMAC + JSON, no store)",
                   *await run_load(f"{base}/baseline", payloads, args.concurrency, f"b{round_no}"))
            report(f"[{round_no + 1}] intake (stored + outbox row)",
                   *await run_load(f"{base}/webhooks/shopify", payloads, args.concurrency, f"w{round_no}"))
        report("intake, duplicates (already received)",
               *await run_load(f"{base}/webhooks/shopify", payloads[:1000], args.concurrency, f"w{round_no}"))
    finally:
        server.should_exit = True
        await serving
        if runtime is not None:
            await runtime.stop()
        await database.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--with-jobs", action="store_true")
    asyncio.run(main(parser.parse_args()))
