"""`taxrecon serve` hands uvicorn the access-log setting (off unless TAXRECON_ACCESS_LOG says otherwise), and freezes
the start-up heap once the app is built, before serving."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from app.cli import serve as serve_command


@pytest.mark.parametrize(("value", "expected"), [(None, False), ("true", True), ("false", False)])
def test_serve_passes_the_access_log_setting(value: str | None, expected: bool, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    captured: dict[str, Any] = {}

    async def no_preflight(_settings: object) -> None:
        return None

    monkeypatch.setattr("uvicorn.run", lambda app, **options: captured.update(options, app=app))
    monkeypatch.setattr("app.main.create_app", lambda settings: ("app for", settings.port))
    monkeypatch.setattr(serve_command, "preflight", no_preflight)
    monkeypatch.setenv("TAXRECON_DATABASE_URL", f"sqlite:///{tmp_path}/unused.db")
    if value is None:
        monkeypatch.delenv("TAXRECON_ACCESS_LOG", raising=False)
    else:
        monkeypatch.setenv("TAXRECON_ACCESS_LOG", value)

    serve_command.serve(host=None, port=8123, embedded_worker=None)

    assert captured["access_log"] is expected
    assert captured["app"] == ("app for", 8123) and captured["port"] == 8123


def test_serve_freezes_the_start_up_heap_before_serving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    frozen_at: dict[str, int] = {}

    async def no_preflight(_settings: object) -> None:
        return None

    def run(app: object, **_options: object) -> None:
        frozen_at["serving"] = gc.get_freeze_count()

    def create_app(_settings: object) -> object:
        frozen_at["building"] = gc.get_freeze_count()
        return object()

    monkeypatch.setattr("uvicorn.run", run)
    monkeypatch.setattr("app.main.create_app", create_app)
    monkeypatch.setattr(serve_command, "preflight", no_preflight)
    monkeypatch.setenv("TAXRECON_DATABASE_URL", f"sqlite:///{tmp_path}/unused.db")
    gc.unfreeze()
    try:
        serve_command.serve(host=None, port=8123, embedded_worker=None)
    finally:
        gc.unfreeze()  # the rest of the test session collects as usual
    assert frozen_at["building"] == 0 and frozen_at["serving"] > 10_000
