"""`taxrecon shops set-credentials|set-profile`: the fixes check-binding asks for."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from typer.testing import CliRunner

from app.cli import app
from app.db import Database
from app.security import SecretBox
from app.shops.service import get_shop_by_domain, mark_needs_reauth, shop_access_token, shop_webhook_secret
from tests.shops.test_cli import PROFILE, Invoke, _shops, invoke, secret_key  # noqa: F401  (fixtures)


def _flag_reauth(database_url: str) -> None:
    async def flag() -> None:
        database = Database.from_url(database_url)
        try:
            async with database.unit_of_work() as session:
                shop = await get_shop_by_domain(session, "acme.myshopify.com")
                await mark_needs_reauth(session, shop, "Shopify answered 401")
        finally:
            await database.dispose()

    asyncio.run(flag())


def test_new_token_from_stdin_clears_needs_reauth(invoke: Invoke, database_url: str, secret_key: str) -> None:
    assert invoke("shops", "add", "--domain", "acme.myshopify.com", "--access-token", "shpat_old").exit_code == 0
    _flag_reauth(database_url)
    result = CliRunner().invoke(app, ["shops", "set-credentials", "--domain", "acme.myshopify.com",
                                      "--access-token", "-"], input="shpat_new_token\n",
                                env={"TAXRECON_DATABASE_URL": database_url, "TAXRECON_SECRET_KEY": secret_key})
    assert result.exit_code == 0, result.output
    assert result.stdout == "stored the new access token of acme.myshopify.com\n"
    assert "shpat_new_token" not in result.output
    [shop] = _shops(database_url)
    box = SecretBox.from_key_material(secret_key)
    assert (shop_access_token(shop, box), shop.needs_reauth, shop.reauth_reason) == ("shpat_new_token", False, None)
    assert invoke("shops", "set-credentials", "--domain", "acme.myshopify.com", "--webhook-secret", "hook2"
                  ).exit_code == 0
    [shop] = _shops(database_url)
    assert (shop_access_token(shop, box), shop_webhook_secret(shop, box)) == ("shpat_new_token", "hook2")


def test_set_credentials_bad_input(invoke: Invoke) -> None:
    assert invoke("shops", "add", "--domain", "acme.myshopify.com").exit_code == 0
    nothing = invoke("shops", "set-credentials", "--domain", "acme.myshopify.com")
    assert (nothing.exit_code, nothing.stderr) == (2, "error: give --access-token and/or --webhook-secret\n")
    unknown = invoke("shops", "set-credentials", "--domain", "nope.myshopify.com", "--access-token", "x")
    assert unknown.exit_code == 2
    assert unknown.stderr == "error: no shop 'nope.myshopify.com': add it with `taxrecon shops add`\n"


def test_set_profile_validates_and_replaces(invoke: Invoke, database_url: str, tmp_path: Path) -> None:
    assert invoke("shops", "add", "--domain", "acme.myshopify.com").exit_code == 0
    good = tmp_path / "p.json"
    good.write_text(json.dumps({**PROFILE, "digital_auto_fulfill": True}))
    assert invoke("shops", "set-profile", "--domain", "acme.myshopify.com", "--tax-profile", str(good)).exit_code == 0
    [shop] = _shops(database_url)
    assert shop.tax_profile["digital_auto_fulfill"] is True
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"established": "XX"}))
    result = invoke("shops", "set-profile", "--domain", "acme.myshopify.com", "--tax-profile", str(bad))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: tax profile: established must be an ISO 3166-1 alpha-2")
    [shop] = _shops(database_url)
    assert shop.tax_profile["digital_auto_fulfill"] is True
