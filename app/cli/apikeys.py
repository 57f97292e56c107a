"""`taxrecon apikeys create|list|revoke`: API keys for the GraphQL API.

The key is printed once, by `create`, on stdout (alone, so a script can capture it); only its hash is stored.
"""

from __future__ import annotations

from typing import Any

import typer

from app.cli.common import handle_errors, print_listing, run
from app.cli.shops import cli_database, cli_settings
from app.config import Settings

apikeys_app = typer.Typer(help="API keys (Authorization: Bearer <key>).", no_args_is_help=True)


async def _create(settings: Settings, role: str, shops: list[str], name: str | None, all_shops: bool) -> str:
    from app.auth import create_api_key

    async with cli_database(settings) as database, database.unit_of_work() as session:
        _, key = await create_api_key(session, role=role, shop_domains=shops, name=name,
                                      all_shops=True if all_shops else None)
        return key


@apikeys_app.command("create")
@handle_errors
def create(
    role: str = typer.Option(..., "--role", help="admin, finance, accountant or erp."),
    shop: list[str] = typer.Option([], "--shop", help="A shop domain this key may see (repeatable)."),
    all_shops: bool = typer.Option(False, "--all-shops", help="The key sees every shop (default for admin "
                                   "without --shop)."),
    name: str | None = typer.Option(None, "--name", help="What the key is for."),
) -> None:
    """Create a key and print it once (it cannot be shown again)."""
    key = run(_create(cli_settings(), role, shop, name, all_shops))
    typer.echo(key)
    typer.echo("store this key now: it is not kept and cannot be shown again", err=True)


def _key_row(key: Any) -> dict[str, Any]:
    return {
        "id": str(key.id), "prefix": key.prefix, "name": key.name, "role": key.role,
        "shops": "all" if key.all_shops else sorted(s.domain for s in key.shops),
        "created_at": key.created_at.isoformat(),
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


async def _list(settings: Settings) -> list[dict[str, Any]]:
    from app.auth import list_api_keys

    async with cli_database(settings) as database, database.unit_of_work() as session:
        return [_key_row(key) for key in await list_api_keys(session)]


@apikeys_app.command("list")
@handle_errors
def list_(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List keys by prefix (never the keys themselves)."""
    print_listing(run(_list(cli_settings())), as_json=as_json,
                  empty="no API keys yet: create one with `taxrecon apikeys create --role admin`",
                  headers=("prefix", "role", "name", "shops", "last used", "revoked"), cells=_key_cells)


def _key_cells(row: dict[str, Any]) -> tuple[str, ...]:
    shops = row["shops"] if isinstance(row["shops"], str) else ", ".join(row["shops"])
    return (row["prefix"], row["role"], row["name"] or "", shops, row["last_used_at"] or "never",
            row["revoked_at"] or "")


async def _revoke(settings: Settings, prefix: str) -> str:
    from app.auth import revoke_api_key

    async with cli_database(settings) as database, database.unit_of_work() as session:
        return (await revoke_api_key(session, prefix)).prefix


@apikeys_app.command("revoke")
@handle_errors
def revoke(prefix: str = typer.Argument(..., help="The key's prefix (or id) as `apikeys list` shows it.")) -> None:
    """Revoke a key: it stops working at once."""
    typer.echo(f"revoked {run(_revoke(cli_settings(), prefix))}")


def register(app: typer.Typer) -> None:
    app.add_typer(apikeys_app, name="apikeys")
