"""`taxrecon shops add|list`: tenants from the command line.

Commands do not migrate: they check that the schema holds their tables and otherwise say "run `taxrecon migrate`
first" (exit 2). Secrets given on the command line are encrypted before they are stored and never printed.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from app.cli.common import handle_errors, load_settings, print_listing, run
from app.config import Settings
from app.db import Database
from app.errors import ConfigurationError, InvalidInput
from app.logging import configure_logging

REQUIRED_TABLES = ("shops", "api_keys", "api_key_shops")

shops_app = typer.Typer(help="Shopify shops (tenants).", no_args_is_help=True)


def _masked(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 — Settings validated the scheme; this only shapes a message
        return "the configured database"


@asynccontextmanager
async def cli_database(settings: Settings) -> AsyncIterator[Database]:
    """The configured database, after checking it is reachable and migrated (never creates a SQLite file)."""
    path = settings.sqlite_path
    if path is not None and not path.exists():
        raise ConfigurationError(f"no database at {path}: run `taxrecon migrate` first")
    database = Database.from_settings(settings)
    try:
        try:
            async with database.engine.connect() as conn:
                tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        except Exception as exc:  # noqa: BLE001 — any driver error becomes one line for the operator
            first_line = (str(exc).splitlines() or [""])[0]
            raise ConfigurationError(
                f"database unreachable at {_masked(settings.database_url)}: {type(exc).__name__}: {first_line}"
            ) from None
        missing = [t for t in REQUIRED_TABLES if t not in tables]
        if missing:
            raise ConfigurationError(f"the database has no {missing[0]} table: run `taxrecon migrate` first")
        yield database
    finally:
        await database.dispose()


def cli_settings() -> Settings:
    settings = load_settings()
    configure_logging(settings)
    return settings


def read_tax_profile(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read tax profile {path}: {exc.strerror or type(exc).__name__}") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"tax profile {path} is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"tax profile {path} is not valid JSON: line {exc.lineno} column {exc.colno}: "
                           f"{exc.msg}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"tax profile {path} must hold a JSON object")
    return data


async def _add(settings: Settings, values: dict[str, Any]) -> str:
    from app.security import SecretBox
    from app.shops.service import create_shop

    box = SecretBox.from_settings(settings)
    async with cli_database(settings) as database, database.unit_of_work() as session:
        shop = await create_shop(session, box=box, **values)
        return str(shop.id)


@shops_app.command("add")
@handle_errors
def add(
    domain: str = typer.Option(..., "--domain", help="The permanent shop domain, <name>.myshopify.com."),
    access_token: str | None = typer.Option(None, "--access-token", help="Admin API access token (stored encrypted)."),
    webhook_secret: str | None = typer.Option(None, "--webhook-secret",
                                              help="Webhook signing secret (stored encrypted)."),
    api_url: str | None = typer.Option(None, "--api-url", help="Admin API base (default https://<domain>)."),
    currency: str = typer.Option("USD", "--currency", help="Shop currency, ISO 4217."),
    timezone: str = typer.Option("UTC", "--timezone", help="Shop time zone (IANA name, e.g. Europe/Berlin)."),
    tax_profile: Path | None = typer.Option(None, "--tax-profile", help="Seller tax profile JSON file."),
    name: str | None = typer.Option(None, "--name", help="A display name."),
) -> None:
    """Add a shop; prints its id."""
    from app.shops.domains import normalise_shop_domain

    settings = cli_settings()
    _, warnings = normalise_shop_domain(domain)
    profile = read_tax_profile(tax_profile) if tax_profile is not None else None
    shop_id = run(_add(settings, {
        "domain": domain, "access_token": access_token, "webhook_secret": webhook_secret, "api_url": api_url,
        "currency": currency, "timezone": timezone, "tax_profile": profile, "name": name,
    }))
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(shop_id)


def _shop_row(shop: Any) -> dict[str, Any]:
    return {
        "id": str(shop.id), "domain": shop.domain, "name": shop.name, "currency": shop.currency,
        "timezone": shop.timezone, "api_url": shop.admin_api_base, "needs_reauth": shop.needs_reauth,
        "has_access_token": shop.access_token_encrypted is not None,
        "has_webhook_secret": shop.webhook_secret_encrypted is not None,
        "created_at": shop.created_at.isoformat(),
    }


async def _list(settings: Settings) -> list[dict[str, Any]]:
    from app.auth import operator_principal
    from app.shops.service import list_shops

    async with cli_database(settings) as database, database.unit_of_work() as session:
        return [_shop_row(shop) for shop in await list_shops(session, operator_principal())]


@shops_app.command("list")
@handle_errors
def list_(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the shops (no secrets are shown)."""
    print_listing(run(_list(cli_settings())), as_json=as_json,
                  empty="no shops yet: add one with `taxrecon shops add --domain NAME.myshopify.com`",
                  headers=("domain", "id", "currency", "timezone", "token", "webhook secret", "needs reauth"),
                  cells=_shop_cells)


def _shop_cells(row: dict[str, Any]) -> tuple[str, ...]:
    def yes(flag: bool, word: str = "yes") -> str:
        return word if flag else "no"

    return (row["domain"], row["id"], row["currency"], row["timezone"], yes(row["has_access_token"]),
            yes(row["has_webhook_secret"]), yes(row["needs_reauth"], "YES"))


async def _rotate(settings: Settings) -> int:
    from app.security import SecretBox
    from app.shops.service import rotate_shop_secrets

    box = SecretBox.from_settings(settings)
    async with cli_database(settings) as database, database.unit_of_work() as session:
        return await rotate_shop_secrets(session, box)


@shops_app.command("rotate-secrets")
@handle_errors
def rotate_secrets() -> None:
    """Re-encrypt every shop's credentials with the first key of TAXRECON_SECRET_KEY (after adding a new key)."""
    count = run(_rotate(cli_settings()))
    typer.echo(f"re-encrypted the credentials of {count} shop(s) with the first key; older keys can now be removed")


def register(app: typer.Typer) -> None:
    app.add_typer(shops_app, name="shops")


__all__ = ["cli_database", "cli_settings", "register"]
