"""Test fixtures shared by the whole suite.

Databases: SQLite by default (a migrated template file copied per test, so each test starts clean in about a
millisecond). Set TAXRECON_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1/test to run the same tests on PostgreSQL
(migrated once per session, tables truncated per test).
Services: tests that need Redis, RabbitMQ or PostgreSQL use `require_service(...)`; they skip when the service is
absent, unless TAXRECON_TEST_REQUIRE_SERVICES=1, which turns the skip into a failure (CI sets it).
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from app.config import Settings
from app.db import Base, Database, sync_url
from app.migrate import upgrade

TEST_DATABASE_URL = os.environ.get("TAXRECON_TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("TAXRECON_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TEST_AMQP_URL = os.environ.get("TAXRECON_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
REQUIRE_SERVICES = os.environ.get("TAXRECON_TEST_REQUIRE_SERVICES", "") == "1"
SERVICE_ADDRESSES = {"postgresql": ("127.0.0.1", 5432), "redis": ("127.0.0.1", 6379), "rabbitmq": ("127.0.0.1", 5672)}


def service_up(name: str) -> bool:
    host, port = SERVICE_ADDRESSES[name]
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def require_service(name: str) -> None:
    """Skip (or, with TAXRECON_TEST_REQUIRE_SERVICES=1, fail) when a loopback service is not reachable."""
    if service_up(name):
        return
    message = f"{name} is not reachable on {SERVICE_ADDRESSES[name][0]}:{SERVICE_ADDRESSES[name][1]}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " and TAXRECON_TEST_REQUIRE_SERVICES=1")
    pytest.skip(message)


def sqlite_path(db: Database) -> str | None:
    """The file of a SQLite database, None on other backends."""
    url = db.engine.url
    return str(url.database) if url.get_backend_name() == "sqlite" else None


def sqlite_write_lock_free(path: str) -> bool:
    """Whether another connection could take SQLite's write lock right now, without waiting."""
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        connection.close()


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "broker_url": "memory://",
        "secret_key": Fernet.generate_key().decode(),
        "env": "development",
        "log_format": "console",
        "outbox_sweep_interval_seconds": 0.2,
        "outbox_lease_seconds": 5,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(make_settings(f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_migrated() -> str:
    require_service("postgresql")
    engine = create_engine(sync_url(TEST_DATABASE_URL))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(make_settings(TEST_DATABASE_URL))
    return TEST_DATABASE_URL


_pg_engines: dict[str, Any] = {}


def _empty_postgres(url: str) -> None:
    """Delete every row, children first. Much faster than TRUNCATE for the small tables tests leave behind."""
    engine = _pg_engines.get(url) or _pg_engines.setdefault(url, create_engine(sync_url(url)))
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database for this test (SQLite file, or PostgreSQL when configured)."""
    if TEST_DATABASE_URL:
        url = request.getfixturevalue("postgres_migrated")
        _empty_postgres(url)
        yield url
        return
    template = request.getfixturevalue("sqlite_template")
    path = tmp_path / "taxrecon.db"
    shutil.copyfile(template, path)
    yield f"sqlite:///{path}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database.from_settings(settings)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture(autouse=True)
def _restore_root_logging() -> Iterator[None]:
    """CLI commands under test call `configure_logging`, which replaces the root handlers with one bound to the
    CliRunner's (soon closed) stderr; put pytest's handlers back so later log records have somewhere to go."""
    import logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
