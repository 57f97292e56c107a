"""Bad configuration at start: one line on stderr, exit 2, nothing created or half-written."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app as cli_app


def _serve(env: dict[str, str | None]):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli_app, ["serve"], env={"TAXRECON_SECRET_KEY": None, "TAXRECON_ENV": None, **env})


def _error_lines(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"TAXRECON_BROKER_URL": "kafka://x"}, "TAXRECON_BROKER_URL: Value error, unsupported broker URL scheme"),
        ({"TAXRECON_PORT": "abc"}, "TAXRECON_PORT: Input should be a valid integer"),
        ({"TAXRECON_ENV": "production"}, "TAXRECON_SECRET_KEY is required"),
        ({"TAXRECON_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/test"},
         "database unreachable at postgresql://postgres@127.0.0.1:1/test"),
    ],
)
def test_bad_configuration_is_one_line_and_exit_2(env: dict[str, str], expected: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = _serve(env)
    assert result.exit_code == 2
    lines = _error_lines(result)
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_missing_database_file_is_not_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "var" / "nope.db"
    result = _serve({"TAXRECON_DATABASE_URL": f"sqlite:///{db}"})
    assert result.exit_code == 2
    assert _error_lines(result) == [f"error: database file {db} does not exist: run `taxrecon migrate` first"]
    assert not db.exists()


def test_unreachable_broker(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = _serve({"TAXRECON_DATABASE_URL": database_url, "TAXRECON_BROKER_URL": "redis://127.0.0.1:1/0"})
    assert result.exit_code == 2
    lines = _error_lines(result)
    assert len(lines) == 1 and "the broker at redis://127.0.0.1:1/0 is unreachable" in lines[0], result.stderr


def test_unmigrated_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "empty.db"
    db.touch()
    result = _serve({"TAXRECON_DATABASE_URL": f"sqlite:///{db}"})
    assert result.exit_code == 2
    assert "is not migrated to the newest schema: run `taxrecon migrate`" in _error_lines(result)[0]
