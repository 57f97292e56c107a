"""`taxrecon shops set-credentials|set-profile`: change a shop after `shops add`.

These are the fixes `check-binding` asks for: store a new access token after Shopify revoked the old one (clears
"needs re-authorisation"), and declare the tax profile (incl. `digital_auto_fulfill`). A secret given as `-` is read
from standard input, so it need not appear in the process list or the shell history.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from app.cli.common import handle_errors, run
from app.cli.shops import cli_database, cli_settings, read_tax_profile, shops_app
from app.config import Settings
from app.errors import InvalidInput, NotFound


def _secret_arg(value: str | None, what: str) -> str | None:
    if value != "-":
        return value
    text = sys.stdin.readline().strip()
    if not text:
        raise InvalidInput(f"expected the {what} on standard input")
    return text


async def _shop(session, domain: str):  # type: ignore[no-untyped-def]
    from app.shops.domains import normalise_shop_domain
    from app.shops.service import get_shop_by_domain

    normalised, _ = normalise_shop_domain(domain)
    shop = await get_shop_by_domain(session, normalised)
    if shop is None:
        raise NotFound(f"no shop {normalised!r}: add it with `taxrecon shops add`")
    return shop


async def _set_credentials(settings: Settings, domain: str, token: str | None, secret: str | None) -> str:
    from app.security import SecretBox
    from app.shops.service import set_shop_credentials

    box = SecretBox.from_settings(settings)
    async with cli_database(settings) as database, database.unit_of_work() as session:
        shop = await _shop(session, domain)
        await set_shop_credentials(session, shop, box, access_token=token, webhook_secret=secret)
        return shop.domain


@shops_app.command("set-credentials")
@handle_errors
def set_credentials(
    domain: str = typer.Option(..., "--domain", help="The shop's domain."),
    access_token: str | None = typer.Option(None, "--access-token", help="New Admin API token; '-' reads stdin."),
    webhook_secret: str | None = typer.Option(None, "--webhook-secret", help="New webhook secret; '-' reads stdin."),
) -> None:
    """Store a new access token and/or webhook secret (a new token clears 'needs re-authorisation')."""
    if access_token is None and webhook_secret is None:
        raise InvalidInput("give --access-token and/or --webhook-secret")
    if access_token == "-" and webhook_secret == "-":
        raise InvalidInput("only one of --access-token and --webhook-secret can be read from standard input")
    token = _secret_arg(access_token, "access token")
    secret = _secret_arg(webhook_secret, "webhook secret")
    shop = run(_set_credentials(cli_settings(), domain, token, secret))
    changed = " and ".join(n for n, v in (("access token", token), ("webhook secret", secret)) if v)
    typer.echo(f"stored the new {changed} of {shop}")


async def _set_profile(settings: Settings, domain: str, profile: dict) -> str:  # type: ignore[type-arg]
    from app.shops.profile import validate_tax_profile

    clean = validate_tax_profile(profile)
    async with cli_database(settings) as database, database.unit_of_work() as session:
        shop = await _shop(session, domain)
        shop.tax_profile = clean
        return shop.domain


@shops_app.command("set-profile")
@handle_errors
def set_profile(
    domain: str = typer.Option(..., "--domain", help="The shop's domain."),
    tax_profile: Path = typer.Option(..., "--tax-profile", help="Seller tax profile JSON file."),
) -> None:
    """Replace the shop's tax profile (registrations, establishment, digital_auto_fulfill)."""
    shop = run(_set_profile(cli_settings(), domain, read_tax_profile(tax_profile)))
    typer.echo(f"stored the tax profile of {shop}")
