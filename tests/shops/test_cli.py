"""`taxrecon shops …` and `taxrecon apikeys …` in-process (typer's CliRunner) against the test database."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from cryptography.fernet import Fernet
from sqlalchemy import select
from typer.testing import CliRunner

from app.auth import authenticate
from app.cli import app
from app.db import Database
from app.logging import install_redaction
from app.security import SecretBox
from app.shops.models import Shop
from app.shops.service import shop_access_token, shop_webhook_secret

Invoke = Callable[..., Result]
PROFILE = {"established": "CN", "registrations": [{"scheme": "IOSS", "number": "IM2760000013"}],
           "digital_auto_fulfill": False}


@pytest.fixture
def secret_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def invoke(database_url: str, secret_key: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Invoke:
    """Run the CLI with the test database; logging stays pytest's (the CLI would replace the root handlers)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("app.cli.shops.configure_logging", lambda settings: install_redaction())
    env = {"TAXRECON_DATABASE_URL": database_url, "TAXRECON_SECRET_KEY": secret_key,
           "TAXRECON_BROKER_URL": "memory://", "TAXRECON_ENV": "development"}
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, list(args), env=env)

    return run


def _shops(database_url: str) -> list[Shop]:
    async def load() -> list[Shop]:
        database = Database.from_url(database_url)
        try:
            async with database.unit_of_work() as session:
                return list((await session.scalars(select(Shop).order_by(Shop.domain))).all())
        finally:
            await database.dispose()

    return asyncio.run(load())


def test_shops_add_prints_the_id_and_stores_encrypted_credentials(invoke: Invoke, database_url: str,
                                                                  secret_key: str, tmp_path: Path) -> None:
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps(PROFILE))
    result = invoke("shops", "add", "--domain", "acme.myshopify.com", "--access-token", "shpat_cli_token_9",
                    "--webhook-secret", "cli-hook-secret", "--api-url", "http://127.0.0.1:8001",
                    "--currency", "EUR", "--timezone", "Europe/Berlin", "--tax-profile", str(profile),
                    "--name", "Acme")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    [shop] = _shops(database_url)
    assert result.stdout == f"{shop.id}\n"
    assert (shop.domain, shop.currency, shop.timezone, shop.api_url, shop.name) == (
        "acme.myshopify.com", "EUR", "Europe/Berlin", "http://127.0.0.1:8001", "Acme")
    assert shop.tax_profile == PROFILE
    box = SecretBox.from_key_material(secret_key)
    assert (shop_access_token(shop, box), shop_webhook_secret(shop, box)) == ("shpat_cli_token_9", "cli-hook-secret")


def test_lower_cased_domain_warns_on_stderr(invoke: Invoke, database_url: str) -> None:
    result = invoke("shops", "add", "--domain", "Mixed-Case.myshopify.com")
    assert result.exit_code == 0
    assert result.stderr == "warning: shop domain 'Mixed-Case.myshopify.com' was lower-cased to " \
                            "'mixed-case.myshopify.com'\n"
    assert uuid.UUID(result.stdout.strip()) == _shops(database_url)[0].id


def test_duplicate_shop_exits_2_with_one_line(invoke: Invoke) -> None:
    assert invoke("shops", "add", "--domain", "dup.myshopify.com").exit_code == 0
    result = invoke("shops", "add", "--domain", "DUP.myshopify.com")
    assert result.exit_code == 2
    assert result.stderr == "error: shop dup.myshopify.com already exists\n"
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--domain", "shop.example.com"], "error: 'shop.example.com' is not a myshopify.com domain; expected "
                                           "<name>.myshopify.com (the permanent domain, not a custom storefront "
                                           "domain)"),
        (["--domain", "a.myshopify.com", "--currency", "EURO"],
         "error: currency must be a three-letter ISO 4217 code such as 'EUR', got 'EURO'"),
        (["--domain", "a.myshopify.com", "--timezone", "Berlin"],
         "error: unknown timezone 'Berlin'; use an IANA name such as 'Europe/Berlin' (case matters)"),
        (["--domain", "a.myshopify.com", "--tax-profile", "missing.json"],
         "error: cannot read tax profile missing.json: No such file or directory"),
        (["--domain", "a.myshopify.com", "--tax-profile", "broken.json"],
         "error: tax profile broken.json is not valid JSON: line 1 column 17: Expecting value"),
        (["--domain", "a.myshopify.com", "--tax-profile", "list.json"],
         "error: tax profile list.json must hold a JSON object"),
        (["--domain", "a.myshopify.com", "--tax-profile", "typo.json"],
         "error: tax profile: unknown field(s) establshed; allowed: established, registrations, "
         "eu_b2c_cross_border_turnover_eur, ship_from, digital_auto_fulfill"),
    ],
)
def test_bad_shop_input_exits_2_with_one_line(invoke: Invoke, database_url: str, tmp_path: Path,
                                              args: list[str], message: str) -> None:
    (tmp_path / "broken.json").write_text('{"established": }')
    (tmp_path / "list.json").write_text("[]")
    (tmp_path / "typo.json").write_text('{"establshed": "CN"}')
    result = invoke("shops", "add", *args)
    assert result.exit_code == 2
    assert result.stderr == message + "\n"
    assert result.stdout == ""
    assert _shops(database_url) == []


def test_shops_list_json_and_table(invoke: Invoke) -> None:
    invoke("shops", "add", "--domain", "b.myshopify.com", "--access-token", "shpat_listed_secret")
    invoke("shops", "add", "--domain", "a.myshopify.com", "--currency", "JPY", "--timezone", "Asia/Tokyo")
    result = invoke("shops", "list", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [(r["domain"], r["currency"], r["timezone"], r["has_access_token"], r["needs_reauth"]) for r in rows] == [
        ("a.myshopify.com", "JPY", "Asia/Tokyo", False, False), ("b.myshopify.com", "USD", "UTC", True, False)]
    assert "shpat_listed_secret" not in result.output
    table = invoke("shops", "list")
    assert table.exit_code == 0
    assert re.search(r"a\.myshopify\.com .* JPY .* Asia/Tokyo", table.stdout)


def test_empty_shops_list(invoke: Invoke) -> None:
    result = invoke("shops", "list")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr.startswith("no shops yet")
    assert json.loads(invoke("shops", "list", "--json").stdout) == []


def _principal(database_url: str, key: str):  # type: ignore[no-untyped-def]
    async def auth():  # type: ignore[no-untyped-def]
        database = Database.from_url(database_url)
        try:
            async with database.unit_of_work() as session:
                return await authenticate(session, f"Bearer {key}")
        finally:
            await database.dispose()

    return asyncio.run(auth())


def test_apikeys_create_list_revoke(invoke: Invoke, database_url: str) -> None:
    shop_id = uuid.UUID(invoke("shops", "add", "--domain", "k.myshopify.com").stdout.strip())
    created = invoke("apikeys", "create", "--role", "erp", "--shop", "K.myshopify.com", "--name", "tryton")
    assert created.exit_code == 0
    key = created.stdout.strip()
    assert re.fullmatch(r"trk_[A-Za-z0-9_-]{43}", key)
    assert created.stderr == "store this key now: it is not kept and cannot be shown again\n"
    principal = _principal(database_url, key)
    assert (principal.role, principal.all_shops, principal.shop_ids) == ("erp", False, frozenset({shop_id}))

    listed = invoke("apikeys", "list", "--json")
    [row] = json.loads(listed.stdout)
    assert (row["prefix"], row["role"], row["name"], row["shops"], row["revoked_at"]) == (
        key[:12], "erp", "tryton", ["k.myshopify.com"], None)
    assert key not in listed.output and key not in invoke("apikeys", "list").output

    revoked = invoke("apikeys", "revoke", key[:12])
    assert (revoked.exit_code, revoked.stdout) == (0, f"revoked {key[:12]}\n")
    assert json.loads(invoke("apikeys", "list", "--json").stdout)[0]["revoked_at"] is not None
    again = invoke("apikeys", "revoke", key[:12])
    assert (again.exit_code, again.stderr) == (2, f"error: no active API key with prefix {key[:12]}\n")


def test_admin_key_without_shops_sees_all(invoke: Invoke, database_url: str) -> None:
    key = invoke("apikeys", "create", "--role", "admin").stdout.strip()
    assert _principal(database_url, key).all_shops is True
    assert json.loads(invoke("apikeys", "list", "--json").stdout)[0]["shops"] == "all"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "root"], "error: unknown role 'root'; use one of admin, finance, accountant, erp"),
        (["--role", "finance"], "error: a finance key needs at least one shop (--shop DOMAIN) or --all-shops"),
        (["--role", "finance", "--shop", "ghost.myshopify.com"],
         "error: unknown shop ghost.myshopify.com; add it first with `taxrecon shops add`"),
        (["--role", "finance", "--shop", "ghost.example"], "error: 'ghost.example' is not a myshopify.com domain"),
    ],
)
def test_bad_apikey_input_exits_2(invoke: Invoke, args: list[str], message: str) -> None:
    result = invoke("apikeys", "create", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_commands_ask_for_migrate_when_tables_are_missing(invoke: Invoke, monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    monkeypatch.setenv("TAXRECON_DATABASE_URL", f"sqlite:///{empty}")
    runner = CliRunner()
    for args in (["shops", "list"], ["apikeys", "list"], ["shops", "add", "--domain", "x.myshopify.com"]):
        result = runner.invoke(app, args, env={"TAXRECON_DATABASE_URL": f"sqlite:///{empty}",
                                               "TAXRECON_SECRET_KEY": Fernet.generate_key().decode()})
        assert result.exit_code == 2
        assert result.stderr == "error: the database has no shops table: run `taxrecon migrate` first\n"
    missing = tmp_path / "nowhere" / "db.sqlite"
    result = runner.invoke(app, ["shops", "list"], env={"TAXRECON_DATABASE_URL": f"sqlite:///{missing}"})
    assert (result.exit_code, result.stderr) == (2, f"error: no database at {missing}: run `taxrecon migrate` first\n")
    assert not missing.parent.exists()


def test_unreachable_database_is_one_line(invoke: Invoke) -> None:
    url = "postgresql://nobody:pw-should-not-show@127.0.0.1:1/none"
    result = CliRunner().invoke(app, ["shops", "list"], env={"TAXRECON_DATABASE_URL": url,
                                                             "TAXRECON_SECRET_KEY": Fernet.generate_key().decode()})
    assert result.exit_code == 2
    assert result.stderr.startswith("error: database unreachable at postgresql://nobody:***@127.0.0.1:1/none: ")
    assert result.stderr.count("\n") == 1
    assert "pw-should-not-show" not in result.output


def test_bad_secret_key_is_one_line_without_the_key(invoke: Invoke) -> None:
    result = CliRunner().invoke(app, ["shops", "add", "--domain", "x.myshopify.com", "--access-token", "shpat_zzz"],
                                env={"TAXRECON_SECRET_KEY": "not-a-fernet-key-at-all"})
    assert result.exit_code == 2
    assert result.stderr.startswith("error: TAXRECON_SECRET_KEY: key 1 of 1 is not a valid Fernet key")
    assert "not-a-fernet-key-at-all" not in result.output and "shpat_zzz" not in result.output


def test_rotate_secrets_after_adding_a_new_key(invoke: Invoke, database_url: str, secret_key: str) -> None:
    invoke("shops", "add", "--domain", "r.myshopify.com", "--access-token", "shpat_rotate_me")
    new_key = Fernet.generate_key().decode()
    env = {"TAXRECON_DATABASE_URL": database_url, "TAXRECON_SECRET_KEY": f"{new_key},{secret_key}"}
    result = CliRunner().invoke(app, ["shops", "rotate-secrets"], env=env)
    assert (result.exit_code, result.stdout) == (
        0, "re-encrypted the credentials of 1 shop(s) with the first key; older keys can now be removed\n")
    [shop] = _shops(database_url)
    assert shop_access_token(shop, SecretBox.from_key_material(new_key)) == "shpat_rotate_me"
    stale = CliRunner().invoke(app, ["shops", "rotate-secrets"],
                               env={**env, "TAXRECON_SECRET_KEY": Fernet.generate_key().decode()})
    assert stale.exit_code == 2
    assert stale.stderr == "error: a stored secret cannot be re-encrypted: none of the configured keys decrypts it\n"
