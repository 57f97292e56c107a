"""`taxrecon sync | backfill | check-binding`: the Shopify connector from the command line.

`sync` and `backfill` enqueue their jobs and, unless `--no-wait`, wait for the whole chain of follow-up jobs with a
progress bar (with the in-memory broker this process runs the worker itself). `check-binding` exits 1 when a check
fails, 0 when all pass, 2 on bad input.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from app.cli.common import fail, handle_errors, load_settings, print_json, run
from app.cli.shops import cli_database
from app.config import Settings
from app.db import Database
from app.errors import Conflict, InvalidInput, NotFound
from app.shopify.models import ShopifyBulkRun, ShopifySyncState

WAIT_TIMEOUT = 6 * 3600.0


async def _shop(database: Database, domain: str):
    from app.shops.service import get_shop_by_domain

    async with database.sessionmaker() as session:
        shop = await get_shop_by_domain(session, domain)
    if shop is None:
        raise NotFound(f"unknown shop {domain}: add it with `taxrecon shops add --domain {domain}`")
    return shop


def _usable(shop) -> None:
    if shop.needs_reauth:
        raise Conflict(f"{shop.domain} needs re-authorisation ({shop.reauth_reason or 'token rejected'}); "
                       "re-authorise the app and store the shop's new access token first "
                       "(taxrecon shops set-credentials --access-token -)")


async def _pending(database: Database, name: str, key: str) -> tuple[int, str | None]:
    from app.jobs.models import OutboxMessage

    async with database.sessionmaker() as session:
        rows = (await session.execute(select(OutboxMessage.status, OutboxMessage.last_error).where(
            OutboxMessage.name == name, OutboxMessage.dedupe_key == key, OutboxMessage.status != "done"))).all()
    pending = sum(1 for r in rows if r.status == "pending")
    dead = next((r.last_error for r in rows if r.status == "dead"), None)
    return pending, dead


async def _with_runtime(settings: Settings, database: Database, wait: bool, start, follow) -> Any:
    from app.jobs import JobRuntime

    runtime = JobRuntime.from_settings(settings, database) if wait else None
    if runtime is not None:
        await runtime.start(embedded_worker=settings.broker_kind == "memory")
    try:
        async with database.unit_of_work() as session:
            started = await start(session)
        return started if runtime is None else await follow(started)
    finally:
        if runtime is not None:
            await runtime.stop()


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeElapsedColumn(), console=Console(stderr=True), transient=True)


async def _sync(settings: Settings, domain: str, since: str | None, wait: bool) -> dict[str, Any]:
    from app.shopify.sync import parse_iso
    from app.shopify.tasks import start_sync

    try:
        since_at = parse_iso(since) if since else None
    except ValueError:
        raise InvalidInput(f"--since must be an ISO date-time such as 2026-11-01T00:00:00Z, not {since!r}") from None
    async with cli_database(settings) as database:
        shop = await _shop(database, domain)
        _usable(shop)
        requested = time.time()

        async def start(session):
            return start_sync(session, shop, since_at)

        async def follow(ids):
            with _progress() as bar:
                task = bar.add_task(f"sync {domain}", total=None)
                while True:
                    pending, dead = await _pending(database, "shopify.sync_shop", f"sync:{shop.id}")
                    async with database.sessionmaker() as session:
                        state = await session.get(ShopifySyncState, shop.id)
                    bar.update(task, completed=state.last_sync_orders if state else 0)
                    if dead:
                        raise InvalidInput(f"sync of {domain} failed: {dead}")
                    if not pending:
                        return _sync_summary(domain, ids, state)
                    if time.time() - requested > WAIT_TIMEOUT:
                        raise InvalidInput(f"sync of {domain} still running after {WAIT_TIMEOUT:.0f}s")
                    await asyncio.sleep(0.2)

        result = await _with_runtime(settings, database, wait, start, follow)
    return result if wait else {"shop": domain, "jobs": [str(i) for i in result], "waited": False}


def _sync_summary(domain: str, ids: list, state: ShopifySyncState | None) -> dict[str, Any]:
    return {"shop": domain, "jobs": [str(i) for i in ids], "waited": True,
            "orders": state.last_sync_orders if state else 0,
            "watermark": state.orders_watermark.isoformat() if state and state.orders_watermark else None}


async def _backfill(settings: Settings, domain: str, wait: bool) -> dict[str, Any]:
    from app.shopify.tasks import start_backfill

    async with cli_database(settings) as database:
        shop = await _shop(database, domain)
        _usable(shop)

        async def start(session):
            return await start_backfill(session, shop)

        async def follow(job_id):
            deadline = time.time() + WAIT_TIMEOUT
            with _progress() as bar:
                task = bar.add_task(f"backfill {domain}", total=None)
                while time.time() < deadline:
                    async with database.sessionmaker() as session:
                        run_row = (await session.execute(select(ShopifyBulkRun).where(
                            ShopifyBulkRun.shop_id == shop.id).order_by(ShopifyBulkRun.created_at.desc())
                            .limit(1))).scalar_one()
                    orders_phase = run_row.phase == "orders"  # later phases: fulfilments, refunds, return lines
                    bar.update(task, description=f"backfill {domain}: {run_row.phase.replace('_', ' ')}",
                               completed=run_row.roots_committed if orders_phase else None,
                               total=run_row.root_object_count if orders_phase else None)
                    if run_row.status in ("done", "failed"):
                        return _run_summary(domain, job_id, run_row)
                    _, dead = await _pending(database, "shopify.backfill_shop", f"backfill:{shop.id}")
                    if dead:
                        raise InvalidInput(f"backfill of {domain} failed: {dead}")
                    await asyncio.sleep(0.3)
            raise InvalidInput(f"backfill of {domain} still running after {WAIT_TIMEOUT:.0f}s")

        result = await _with_runtime(settings, database, wait, start, follow)
    return result if wait else {"shop": domain, "job": str(result), "waited": False}


def _run_summary(domain: str, job_id: Any, run_row: ShopifyBulkRun) -> dict[str, Any]:
    return {"shop": domain, "job": str(job_id), "waited": True, "status": run_row.status,
            "orders": run_row.roots_committed, "applied": run_row.orders_applied,
            "unchanged": run_row.orders_unchanged, "stale": run_row.orders_stale, "message": run_row.message}


async def _check(settings: Settings, domain: str):
    from app.security import SecretBox
    from app.shopify.binding import check_binding

    async with cli_database(settings) as database:
        shop = await _shop(database, domain)
    return await check_binding(settings, shop, SecretBox.from_settings(settings))


def _print_report(report) -> None:
    table = Table(title=f"Binding health of {report.shop}")
    for column in ("check", "result", "why", "what to do"):
        table.add_column(column)
    for check in report.checks:
        table.add_row(check.name, "[green]pass[/]" if check.ok else "[red]FAIL[/]", check.why, check.fix or "")
    Console().print(table)


def register(app: typer.Typer) -> None:
    @app.command("sync")
    @handle_errors
    def sync_command(shop: str = typer.Option(..., "--shop", help="the shop's myshopify.com domain"),
                     since: str = typer.Option(None, "--since", help="re-read orders updated since (ISO 8601)"),
                     no_wait: bool = typer.Option(False, "--no-wait", help="enqueue and return"),
                     as_json: bool = typer.Option(False, "--json", help="print the result as JSON")) -> None:
        """Incremental pull of orders updated since the last watermark (re-creates missing webhooks)."""
        result = run(_sync(load_settings(), shop, since, not no_wait))
        print_json(result) if as_json else typer.echo(
            f"sync of {shop}: " + (f"{result['orders']} orders, watermark {result['watermark']}"
                                   if result["waited"] else f"enqueued job {result['jobs'][0]}"))

    @app.command("backfill")
    @handle_errors
    def backfill_command(shop: str = typer.Option(..., "--shop", help="the shop's myshopify.com domain"),
                         no_wait: bool = typer.Option(False, "--no-wait", help="enqueue and return"),
                         as_json: bool = typer.Option(False, "--json", help="print the result as JSON")) -> None:
        """Bulk-operation backfill of every order of the shop (resumable)."""
        result = run(_backfill(load_settings(), shop, not no_wait))
        if as_json:
            print_json(result)
        elif not result["waited"]:
            typer.echo(f"backfill of {shop}: enqueued job {result['job']}")
        else:
            typer.echo(f"backfill of {shop}: {result['status']}, {result['message']}")
        if result.get("status") == "failed":
            fail(f"backfill of {shop} failed: {result['message']}", code=1)

    @app.command("check-binding")
    @handle_errors
    def check_binding_command(shop: str = typer.Option(..., "--shop", help="the shop's myshopify.com domain"),
                              as_json: bool = typer.Option(False, "--json", help="print the report as JSON")) -> None:
        """The checks before going live; exit 1 when one fails."""
        report = run(_check(load_settings(), shop))
        print_json(report.as_dict()) if as_json else _print_report(report)
        if not report.ok:
            raise typer.Exit(1)
