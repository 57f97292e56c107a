"""The connector's commands: check-binding exit codes and JSON, sync --no-wait, unknown shop and bad --since."""

from __future__ import annotations

import asyncio
import json

import pytest
from typer.testing import CliRunner

import app.shopify.tasks  # noqa: F401
from app.cli import app as cli
from app.shopify.sandbox import generate_store
from app.shopify.sandbox.factory import DEFAULT_READ_ONLY_TOKEN
from app.db import Database
from tests.shopify.test_sync_support import _isolated_connector, bind_shop, sandbox_app, use_sandbox

__all__ = ["_isolated_connector"]


@pytest.fixture
def env(settings, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TAXRECON_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TAXRECON_SECRET_KEY", settings.secret_key.get_secret_value())
    monkeypatch.setenv("TAXRECON_BROKER_URL", "memory://")
    monkeypatch.setenv("TAXRECON_LOG_FORMAT", "console")
    return settings


def bind(settings, store, app, **kwargs) -> None:
    async def go() -> None:
        database = Database.from_settings(settings)
        try:
            await bind_shop(database, settings, store, app, **kwargs)
        finally:
            await database.dispose()

    asyncio.run(go())


def test_check_binding_exits_1_and_names_the_read_only_token(env) -> None:
    store = generate_store(seed=51, orders=5, plan="plus")
    app = sandbox_app(store)
    use_sandbox(app)
    bind(env, store, app, token=DEFAULT_READ_ONLY_TOKEN,
         tax_profile={"established": "DE", "digital_auto_fulfill": False})
    result = CliRunner().invoke(cli, ["check-binding", "--shop", store.profile.domain, "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    checks = {c["name"]: c for c in report["checks"]}
    assert report["ok"] is False and checks["token"]["ok"] is True
    assert checks["write_scopes"]["why"].startswith("read-only token")


def test_unknown_shop_and_bad_since_exit_2_with_one_line(env) -> None:
    result = CliRunner().invoke(cli, ["check-binding", "--shop", "nobody.myshopify.com"])
    assert result.exit_code == 2
    assert result.stderr.strip() == ("error: unknown shop nobody.myshopify.com: add it with "
                                     "`taxrecon shops add --domain nobody.myshopify.com`")
    store = generate_store(seed=52, orders=2, plan="plus")
    app = sandbox_app(store)
    bind(env, store, app)
    result = CliRunner().invoke(cli, ["sync", "--shop", store.profile.domain, "--since", "yesterday"])
    assert result.exit_code == 2
    assert "--since must be an ISO date-time" in result.stderr


def test_sync_no_wait_enqueues_one_job(env) -> None:
    store = generate_store(seed=53, orders=2, plan="plus")
    app = sandbox_app(store)
    bind(env, store, app)
    result = CliRunner().invoke(cli, ["sync", "--shop", store.profile.domain, "--no-wait", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["waited"] is False and len(payload["jobs"]) == 1
