"""`taxrecon sandbox`: serve a local SANDBOX Shopify store (a test double, not Shopify) for demos and tests."""

from __future__ import annotations

import time

import typer

from app.cli.common import fail

HELP = ("Serve a local SANDBOX Shopify store (a test double of the Admin GraphQL API, not Shopify): generated, "
        "deterministic orders; scopes, cost throttling, bulk operations and signed webhooks as Shopify does them.")


def sandbox(
    port: int = typer.Option(8001, help="Loopback port to listen on."),
    orders: int = typer.Option(1000, min=0, help="Exactly this many orders are generated."),
    seed: int = typer.Option(1, help="Seed: the same seed gives the same store."),
    shop: str = typer.Option("taxrecon-sandbox.myshopify.com", help="Shop domain (*.myshopify.com)."),
    access_token: str = typer.Option("shpat_sandbox_full_access", help="Full-access token the sandbox accepts."),
    read_only_token: str = typer.Option(None, help="Read-only token (default: derived from --access-token)."),
    webhook_secret: str = typer.Option("sandbox-webhook-secret", help="Secret that signs webhook deliveries."),
    webhook_url: str = typer.Option(None, help="Subscribe the usual topics to this URL at start."),
    plan: str = typer.Option("standard", help="standard | advanced | plus | enterprise (restore rate)."),
    kind: str = typer.Option("eu", help="eu: EUR, taxes included | us: USD, taxes excluded."),
    auto_fulfill: str = typer.Option("GIFT_CARDS", help="After payment, auto-fulfil ALL | GIFT_CARDS | NONE."),
    host: str = typer.Option("127.0.0.1", help="Interface (loopback only by default)."),
    webhook_duplicates: float = typer.Option(0.0, min=0.0, max=1.0, help="Share of webhook deliveries sent twice."),
    webhook_shuffle: bool = typer.Option(False, help="Deliver webhooks in shuffled order."),
    fail_every: int = typer.Option(None, min=1, help="Fault injection: every Nth GraphQL request answers 503."),
    throttle_as_429: bool = typer.Option(False, help="An empty cost bucket answers 429 + Retry-After."),
) -> None:
    from app.shopify.sandbox import generate_store
    from app.shopify.sandbox.app import create_sandbox_app
    from app.shopify.sandbox.faults import FaultPlan
    from app.shopify.sandbox.webhooks import WebhookOptions
    from app.shopify.sandbox.runner import free_socket
    from app.shopify.schema import SCHEMA_VERSION

    started = time.monotonic()
    try:
        store = generate_store(seed, orders, shop_domain=shop, kind=kind, auto_fulfill=auto_fulfill.upper(),
                               plan=plan, access_token=access_token, read_only_token=read_only_token,
                               webhook_secret=webhook_secret)
    except ValueError as exc:
        fail(str(exc))
    try:
        sock = free_socket(host, port)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror}")
    app = create_sandbox_app(store, webhook_url=webhook_url,
                             faults=FaultPlan(fail_every=fail_every, throttle_as_429=throttle_as_429),
                             webhook_options=WebhookOptions(duplicate_rate=webhook_duplicates, shuffle=webhook_shuffle))
    url = f"http://{host}:{port}"
    full, read_only = list(store.tokens)
    typer.echo(f"taxrecon SANDBOX Shopify store (not Shopify) for {shop}: {orders} orders, seed {seed}, "
               f"plan {plan}, generated in {time.monotonic() - started:.1f}s")
    typer.echo(f"  Admin GraphQL: {url}/admin/api/{SCHEMA_VERSION}/graphql.json")
    typer.echo(f"  health:        {url}/healthz")
    typer.echo(f"  full token:      {full}")
    typer.echo(f"  read-only token: {read_only}")
    typer.echo(f"  webhook secret:  {webhook_secret}" + (f"  → deliveries to {webhook_url}" if webhook_url else ""))
    typer.echo(f"  bind a shop:   taxrecon shops add --domain {shop} --access-token {full} "
               f"--webhook-secret {webhook_secret} --api-url {url}")
    import uvicorn
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])


def register(app: typer.Typer) -> None:
    app.command("sandbox", help=HELP)(sandbox)
