import pytest
from pydantic import ValidationError

from app.config import Settings
from app.db import async_url, sync_url


def test_plain_urls_get_drivers() -> None:
    assert async_url("sqlite:///var/x.db") == "sqlite+aiosqlite:///var/x.db"
    assert sync_url("sqlite+aiosqlite:///var/x.db") == "sqlite:///var/x.db"
    assert async_url("postgresql://postgres@127.0.0.1/test") == "postgresql+psycopg://postgres@127.0.0.1/test"


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("broker_url", "kafka://x", "unsupported broker URL scheme 'kafka'"),
        ("database_url", "mysql://x/y", "unsupported database URL scheme 'mysql'"),
        ("shopify_api_version", "2026-11", "quarterly"),
        ("env", "staging", "development"),
    ],
)
def test_bad_settings_name_the_problem(field: str, value: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None, **{field: value})  # type: ignore[arg-type]
    assert fragment in str(info.value)


def test_production_requires_secret_key() -> None:
    with pytest.raises(ValidationError, match="TAXRECON_SECRET_KEY is required"):
        Settings(_env_file=None, env="production")  # type: ignore[call-arg]


async def test_migrated_database_has_sqlite_pragmas(db) -> None:  # type: ignore[no-untyped-def]
    async with db.engine.connect() as conn:
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite pragmas only")
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
        assert (await conn.exec_driver_sql("PRAGMA synchronous")).scalar() == 2  # FULL: commits survive power loss
