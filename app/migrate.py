"""Running Alembic from code (`taxrecon migrate`, `taxrecon serve`, the tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from app.config import Settings
from app.errors import ConfigurationError

ROOT = Path(__file__).resolve().parent.parent


def migrations_dir() -> Path:
    """The Alembic scripts: beside the source tree (development, editable installs) or in the working directory
    (the Docker image copies them to its WORKDIR, next to an installed wheel)."""
    for candidate in (ROOT / "migrations", Path.cwd() / "migrations"):
        if (candidate / "env.py").exists():
            return candidate
    raise ConfigurationError("cannot find the migrations folder (looked beside the source tree and in the current "
                             "directory)")


def alembic_config(database_url: str) -> Config:
    ini = migrations_dir().parent / "alembic.ini"
    config = Config(str(ini)) if ini.exists() else Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["database_url"] = database_url
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Bring the database to `revision`; creates the SQLite file's folder first."""
    path = settings.sqlite_path
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings.database_url), revision)


def head_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def current_revisions(connection: object) -> set[str]:
    """The revisions stamped in the database (run through `AsyncConnection.run_sync`)."""
    import logging

    from alembic.runtime.migration import MigrationContext

    log = logging.getLogger("alembic.runtime.migration")
    level = log.level
    log.setLevel(logging.WARNING)  # reading the stamp is not a migration; keep start-up logs quiet
    try:
        return set(MigrationContext.configure(connection).get_current_heads())  # type: ignore[arg-type]
    finally:
        log.setLevel(level)
