"""Webhook intake throughput and latency on SQLite against a real server process, beside a no-storage baseline.

    .venv/bin/python tests/bench/bench_webhooks.py [--seconds 10] [--connections 8] [--bodies 1000] [--no-jobs-run]

The server runs in its own process exactly as `taxrecon serve` starts it (`create_app`, the same uvicorn options and
logging set-up), with one extra route, `/bench/baseline`, that does the same HMAC check and JSON parse as the
webhook but stores nothing. The load generator is `wrk` (C, its own process, a Lua script giving every request a
unique `X-Shopify-Event-Id`, cycling through `--bodies` distinct signed order bodies); without `wrk`, a separate
Python client process (`--client`, httpx) does the same. Loopback only, each run bounded by `--seconds`.

Reported, with the load average (the machine is shared): baseline; intake with `--no-embedded-worker`; then a fresh
server with the embedded worker ingesting what is stored meanwhile (baseline again, then intake). After each intake
run the stored rows are counted: every 200 must be one stored event (an answer that lies fails the bench).
Targets (issue 3): >= 1,000 webhooks/s and p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DOMAIN = "bench-shop.myshopify.com"
SECRET = "bench-webhook-secret"
FIXTURE = ROOT / "tests" / "fixtures" / "shopify" / "SYNTHETIC-eu-de-vat-taxes-included-with-digital-line.json"
SECRET_KEY = "YmVuY2gtd2ViaG9va3MtZmVybmV0LWtleS0zMmJ5dGU="  # a Fernet key (32 bytes, base64)
LUA = """
local bodies, sigs, n = {}, {}, 0
for line in io.lines("%(bodies)s") do n = n + 1; bodies[n] = line end
for line in io.lines("%(sigs)s") do table.insert(sigs, line) end
local threads, counter = {}, 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Shopify-Topic"] = "orders/create"
wrk.headers["X-Shopify-Shop-Domain"] = "%(domain)s"
wrk.headers["X-Shopify-Triggered-At"] = "2026-11-27T00:00:00Z"
function setup(thread) table.insert(threads, thread); thread:set("tid", #threads) end
function init(args) prefix = args[1] .. "-" .. tid .. "-" end
function request()
  counter = counter + 1
  local i = (counter %% n) + 1
  wrk.headers["X-Shopify-Event-Id"] = prefix .. counter
  wrk.headers["X-Shopify-Hmac-Sha256"] = sigs[i]
  return wrk.format(nil, nil, nil, bodies[i])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "seconds": %%f, "non2xx": %%d, "socket_errors": %%d, ' ..
    '"p50_ms": %%f, "p99_ms": %%f, "max_ms": %%f}\\n', summary.requests, summary.duration / 1e6, e.status,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
    latency.max / 1e3))
end
"""


def server_settings(db: Path, embedded_worker: bool):  # noqa: ANN201 - Settings, imported late (child process)
    from app.config import Settings

    return Settings(_env_file=None, database_url=f"sqlite:///{db}", broker_url="memory://",  # type: ignore[call-arg]
                    secret_key=SECRET_KEY, embedded_worker=embedded_worker, log_level="INFO")


def serve(db: Path, port: int, embedded_worker: bool) -> None:
    """The child process: `taxrecon serve`'s start-up, plus the baseline route."""
    import uvicorn
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from app.cli.common import freeze_startup_heap
    from app.logging import configure_logging
    from app.main import create_app
    from app.shopify.mapping import parse_body
    from app.shopify.webhooks import signature_valid

    async def baseline(request: Request) -> JSONResponse:
        body = await request.body()
        if not signature_valid(body, SECRET, request.headers.get("x-shopify-hmac-sha256")):
            return JSONResponse({"error": "HMAC_INVALID"}, status_code=401)
        parse_body(body.decode("utf-8"))
        return JSONResponse({"status": "parsed"})

    settings = server_settings(db, embedded_worker)
    configure_logging(settings)
    app = create_app(settings)
    app.router.routes.append(Route("/bench/baseline", baseline, methods=["POST"]))
    freeze_startup_heap()  # as `taxrecon serve` does
    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=settings.access_log,
                proxy_headers=True, server_header=False, lifespan="on")


def prepare(workdir: Path, count: int) -> tuple[Path, Path, Path]:
    """Migrated database with the bench shop; files of distinct signed order bodies (one a line)."""
    from cryptography.fernet import Fernet  # noqa: F401 - SecretBox needs it

    from app.db import Database
    from app.migrate import upgrade
    from app.security import SecretBox
    from app.shopify.mapping import parse_body
    from app.shopify.webhooks import sign
    from app.shops.service import create_shop

    db = workdir / "bench.db"
    settings = server_settings(db, False)
    upgrade(settings)

    async def seed() -> None:
        database = Database.from_settings(settings)
        async with database.unit_of_work() as session:
            await create_shop(session, box=SecretBox.from_settings(settings), domain=DOMAIN, webhook_secret=SECRET)
        await database.dispose()

    asyncio.run(seed())
    template = parse_body(FIXTURE.read_bytes())["order"]
    bodies, sigs = [], []
    for n in range(count):
        order = copy.deepcopy(template)
        order["id"] = 1_000_000_000_000 + n
        order["admin_graphql_api_id"] = f"gid://shopify/Order/{order['id']}"
        body = json.dumps(order, default=str).encode()
        bodies.append(body)
        sigs.append(sign(body, SECRET))
    (workdir / "bodies.txt").write_bytes(b"\n".join(bodies) + b"\n")
    (workdir / "sigs.txt").write_text("\n".join(sigs) + "\n")
    return db, workdir / "bodies.txt", workdir / "sigs.txt"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(db: Path, embedded_worker: bool, logfile: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, __file__, "--serve", str(db), "--port", str(port)]
    if embedded_worker:
        command.append("--embedded-worker")
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=logfile.open("wb"))
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, base
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server did not start; see {logfile}")


def drive(url: str, seconds: float, connections: int, tag: str, files: tuple[Path, Path, Path]) -> dict:
    """One bounded load run; wrk when installed, else a separate Python client process."""
    wrk = shutil.which("wrk")
    if wrk:
        command = [wrk, "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(files[0]), url,
                   "--", tag]
    else:
        command = [sys.executable, __file__, "--client", url, "--seconds", str(seconds),
                   "--connections", str(connections), "--tag", tag, "--files", str(files[1]), str(files[2])]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if done.returncode != 0:
        raise SystemExit(f"load generator failed ({done.returncode}): {done.stderr.strip()[:500]}")
    output = done.stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def stored_counts(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db) as conn:
        events = conn.execute("SELECT count(*) FROM shopify_webhook_events").fetchone()[0]
        pending = conn.execute("SELECT count(*) FROM job_outbox WHERE status = 'pending'").fetchone()[0] \
            if _has_table(conn, "job_outbox") else -1
    return events, pending


def settled_events(db: Path, quiet: float = 0.5) -> int:
    """The stored event count once it has not changed for `quiet` seconds (at most 10 s)."""
    last, since, deadline = -1, time.monotonic(), time.monotonic() + 10
    while time.monotonic() < deadline:
        count = stored_counts(db)[0]
        if count != last:
            last, since = count, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
        time.sleep(0.1)
    return last


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None


def report(label: str, result: dict) -> None:
    rate = result["requests"] / result["seconds"]
    print(f"{label:<44} {result['requests']:>7} req {rate:>7.0f} req/s  p50 {result['p50_ms']:6.1f} ms  "
          f"p99 {result['p99_ms']:6.1f} ms  max {result['max_ms']:6.0f} ms  non-2xx {result['non2xx']}  "
          f"load {os.getloadavg()[0]:.2f}", flush=True)
    if result["non2xx"] or result["socket_errors"]:
        raise SystemExit(f"{label}: {result['non2xx']} non-2xx answers, {result['socket_errors']} socket errors")


def scenario(db: Path, files: tuple[Path, Path, Path], args: argparse.Namespace, embedded_worker: bool) -> None:
    tag = "jobs" if embedded_worker else "nojobs"
    proc, base = start_server(db, embedded_worker, db.parent / f"server-{tag}.log")
    mode = "embedded worker ingesting" if embedded_worker else "--no-embedded-worker"
    try:
        drive(f"{base}/bench/baseline", 2, args.connections, f"warm-b-{tag}", files)
        drive(f"{base}/webhooks/shopify", 2, args.connections, f"warm-w-{tag}", files)
        before = settled_events(db)  # the warm-up's last requests may still be storing
        report(f"baseline (HMAC + JSON, no store), {tag}",
               drive(f"{base}/bench/baseline", args.seconds, args.connections, f"b-{tag}", files))
        result = drive(f"{base}/webhooks/shopify", args.seconds, args.connections, f"w-{tag}", files)
        report(f"intake, {mode}", result)
        after, pending = stored_counts(db)
        print(f"    stored {after - before} new events for {result['requests']} answers; "
              f"{pending} ingest jobs pending", flush=True)
        if not 0 <= after - before - result["requests"] <= args.connections:  # wrk ignores answers after its end
            raise SystemExit("stored events do not match the 200 answers")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    db, bodies, sigs = prepare(workdir, args.bodies)
    script = workdir / "intake.lua"
    script.write_text(LUA % {"bodies": bodies, "sigs": sigs, "domain": DOMAIN})
    files = (script, bodies, sigs)
    generator = "wrk -t2" if shutil.which("wrk") else "a Python client process"
    print(f"SQLite WAL, one server process, {generator}, {args.connections} connections, {args.seconds:g} s a run, "
          f"{args.bodies} distinct order bodies, unique event ids; {os.cpu_count()} CPUs shared; work dir {workdir}")
    scenario(db, files, args, embedded_worker=False)
    if not args.no_jobs_run:
        scenario(db, files, args, embedded_worker=True)


# -- fallback client (a separate process, only when wrk is missing) --------------------------------------------


def client(args: argparse.Namespace) -> None:
    import httpx

    bodies = Path(args.files[0]).read_bytes().splitlines()
    sigs = Path(args.files[1]).read_text().splitlines()
    latencies: list[float] = []
    counter = 0

    async def worker(http: httpx.AsyncClient, deadline: float) -> None:
        nonlocal counter
        while time.monotonic() < deadline:
            counter += 1
            i = counter % len(bodies)
            headers = {"X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": DOMAIN,
                       "X-Shopify-Hmac-Sha256": sigs[i], "X-Shopify-Event-Id": f"{args.tag}-{counter}",
                       "X-Shopify-Triggered-At": "2026-11-27T00:00:00Z", "Content-Type": "application/json"}
            started = time.perf_counter()
            response = await http.post(args.client, content=bodies[i], headers=headers)
            latencies.append(time.perf_counter() - started)
            statuses[response.status_code // 100 == 2] += 1

    statuses = {True: 0, False: 0}

    async def run() -> float:
        limits = httpx.Limits(max_connections=args.connections)
        async with httpx.AsyncClient(limits=limits, timeout=30) as http:
            started = time.monotonic()
            await asyncio.gather(*(worker(http, started + args.seconds) for _ in range(args.connections)))
            return time.monotonic() - started

    elapsed = asyncio.run(run())
    ordered = sorted(latencies)
    pick = lambda q: ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000  # noqa: E731
    print("RESULT " + json.dumps({"requests": len(ordered), "seconds": elapsed, "non2xx": statuses[False],
                                  "socket_errors": 0, "p50_ms": pick(0.5), "p99_ms": pick(0.99),
                                  "max_ms": ordered[-1] * 1000}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--bodies", type=int, default=1000)
    parser.add_argument("--no-jobs-run", action="store_true", help="skip the run with the embedded worker")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--embedded-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--tag", help=argparse.SUPPRESS)
    parser.add_argument("--files", nargs=2, help=argparse.SUPPRESS)
    parsed = parser.parse_args()
    if parsed.serve:
        serve(Path(parsed.serve), parsed.port, parsed.embedded_worker)
    elif parsed.client:
        client(parsed)
    else:
        main(parsed)
