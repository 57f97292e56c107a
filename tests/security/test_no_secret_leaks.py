"""Secrets never reach logs, errors or output.

Known secrets go in (Shopify token, webhook secret, API key, Fernet key), then every failure path we own is exercised
with logging wide open (DEBUG everywhere, SQL statements with their parameters too); everything captured (caplog,
capsys, exception messages, the CLI's stdout/stderr in a real subprocess) is searched for the secret values.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from app.auth import authenticate, create_api_key, revoke_api_key
from app.db import Database
from app.errors import TaxreconError
from app.logging import install_redaction
from app.security import SecretBox
from app.shops.models import Shop
from app.shops.service import create_shop, mark_needs_reauth, shop_access_token

ACCESS_TOKEN = "shpat_5ecret0access0token0abcdef12"
WEBHOOK_SECRET = "whsk-plain-0123456789-secret"
ROOT = Path(__file__).resolve().parents[2]


def _leaks(text: str, secrets: list[str]) -> list[str]:
    return [s for s in secrets if s and s in text]


async def test_service_failures_leak_nothing(db: Database, caplog: pytest.LogCaptureFixture,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    install_redaction()
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # SQL and parameters, as an operator might enable
    fernet_key = Fernet.generate_key().decode()
    box = SecretBox.from_key_material(fernet_key)
    errors: list[str] = []

    async with db.unit_of_work() as session:
        shop = await create_shop(session, box=box, domain="Leak.myshopify.com", access_token=ACCESS_TOKEN,
                                 webhook_secret=WEBHOOK_SECRET)
        ciphertexts = [shop.access_token_encrypted or "", shop.webhook_secret_encrypted or ""]
        _, api_key = await create_api_key(session, role="finance", shop_domains=["leak.myshopify.com"])
    try:
        async with db.unit_of_work() as session:
            await create_shop(session, box=box, domain="leak.myshopify.com", access_token=ACCESS_TOKEN)
    except TaxreconError as exc:
        errors.append(str(exc))
    async with db.unit_of_work() as session:
        stored = await session.scalar(select(Shop))
        assert stored is not None
        await mark_needs_reauth(session, stored, f"Shopify said 401 for token {ACCESS_TOKEN}")
        wrong_box = SecretBox.from_key_material(Fernet.generate_key().decode())
        try:
            shop_access_token(stored, wrong_box)
        except TaxreconError as exc:
            errors.append(str(exc))
        logging.getLogger("app.test").exception("unexpected", exc_info=RuntimeError(f"boom {ACCESS_TOKEN}"))
    for header in (f"Bearer {api_key}x", f"Token {api_key}", f"Bearer {api_key[:-1]}"):
        try:
            async with db.unit_of_work() as session:
                await authenticate(session, header)
        except TaxreconError as exc:
            errors.append(str(exc))
    async with db.unit_of_work() as session:
        await revoke_api_key(session, api_key[:12])
    try:
        async with db.unit_of_work() as session:
            await authenticate(session, f"Bearer {api_key}")
    except TaxreconError as exc:
        errors.append(str(exc))
    try:
        SecretBox.from_key_material(f"{fernet_key},{fernet_key[:-2]}")
    except TaxreconError as exc:
        errors.append(str(exc))

    assert len(errors) == 7
    captured = capsys.readouterr()
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert "INSERT INTO shops" in logged  # the SQL log really was on
    everything = "\n".join([logged, captured.out, captured.err, *errors, stored.reauth_reason or ""])
    secrets = [ACCESS_TOKEN, WEBHOOK_SECRET, api_key, fernet_key, *ciphertexts]
    assert _leaks(everything, secrets) == []


# One real process runs several commands in a row (one interpreter start instead of four): each command gets its
# own environment overrides; stdout/stderr are the process's real streams, logging configured by the CLI itself.
_DRIVER = """
import json, os, sys
from app.cli import app
for overrides, args in json.loads(sys.argv[1]):
    os.environ.update(overrides)
    print(f"--- {args[0]} {args[1]}", file=sys.stderr, flush=True)
    try:
        app(args, prog_name="taxrecon")
    except SystemExit as exc:
        print(f"--- exit {exc.code or 0}", file=sys.stderr, flush=True)
"""


def test_cli_subprocess_leaks_nothing(database_url: str, tmp_path: Path) -> None:
    fernet_key = Fernet.generate_key().decode()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAXRECON_")}
    env.update({"TAXRECON_DATABASE_URL": database_url, "TAXRECON_SECRET_KEY": fernet_key,
                "TAXRECON_LOG_LEVEL": "DEBUG", "PYTHONPATH": str(ROOT)})
    add = ["shops", "add", "--domain", "cli-leak.myshopify.com", "--access-token", ACCESS_TOKEN,
           "--webhook-secret", WEBHOOK_SECRET]
    commands = [({}, add), ({}, add), ({}, ["apikeys", "create", "--role", "admin"]),
                ({"TAXRECON_SECRET_KEY": f"{fernet_key},{fernet_key[:20]}"}, add)]
    done = subprocess.run([sys.executable, "-c", _DRIVER, json.dumps(commands)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    stderr = done.stderr
    assert [line for line in stderr.splitlines() if line.startswith("--- exit")] == [
        "--- exit 0", "--- exit 2", "--- exit 0", "--- exit 2"], stderr
    assert "\nerror: shop cli-leak.myshopify.com already exists\n--- exit 2" in stderr
    assert "\nerror: TAXRECON_SECRET_KEY: key 2 of 2 is not a valid Fernet key" in stderr
    shop_id, api_key = done.stdout.split()
    assert uuid.UUID(shop_id) and api_key.startswith("trk_")

    # The key is printed once, on stdout, by `apikeys create`; nothing else anywhere shows a secret.
    assert _leaks(done.stdout.replace(api_key, ""), [ACCESS_TOKEN, WEBHOOK_SECRET, api_key, fernet_key]) == []
    assert _leaks(stderr, [ACCESS_TOKEN, WEBHOOK_SECRET, api_key, fernet_key, fernet_key[:20]]) == []
