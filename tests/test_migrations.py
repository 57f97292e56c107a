"""The migrations produce exactly the schema the models declare, on SQLite and on PostgreSQL (whichever the suite
runs on), and they downgrade to nothing and upgrade again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import app.models  # noqa: F401  (every table on the metadata)
from app.db import Base, install_sqlite_pragmas, sync_url
from app.migrate import alembic_config, head_revisions


def _diff(url: str) -> list:  # type: ignore[type-arg]
    engine = create_engine(sync_url(url))
    install_sqlite_pragmas(engine)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_migrations_match_the_models(database_url: str) -> None:
    assert _diff(database_url) == []


def test_one_head_and_a_full_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert len(head_revisions()) == 1
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    config = alembic_config(url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    engine = create_engine(sync_url(url))
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    command.upgrade(config, "head")
    assert _diff(url) == []
