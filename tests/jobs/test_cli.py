"""`taxrecon worker` and `taxrecon jobs …` through the real command line."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.cli.worker import MEMORY_REFUSAL
from tests.jobs.conftest import closed_port


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("TAXRECON_DATABASE_URL", database_url)
    monkeypatch.setenv("TAXRECON_BROKER_URL", "memory://")
    monkeypatch.setenv("TAXRECON_LOG_LEVEL", "WARNING")


def test_worker_refuses_the_memory_broker(env: None) -> None:
    result = CliRunner().invoke(app, ["worker"])
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {MEMORY_REFUSAL}"


def test_worker_names_an_unreachable_broker_without_its_password(env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    port = closed_port()
    monkeypatch.setenv("TAXRECON_BROKER_URL", f"redis://:topsecret@127.0.0.1:{port}/0")
    result = CliRunner().invoke(app, ["worker"])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: the broker at redis://:***@127.0.0.1:{port}/0 is unreachable (")
    assert result.output.count("\n") == 1
    assert "topsecret" not in result.output


def test_probe_runs_jobs_end_to_end_and_reports_json(env: None) -> None:
    result = CliRunner().invoke(app, ["jobs", "probe", "--count", "12", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{"):])
    assert (report["count"], report["completed"], report["dead"], report["retried"], report["ok"]) == (
        12, 12, 0, 0, True)


def test_probe_exits_1_when_jobs_die(env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAXRECON_JOB_MAX_RETRIES", "0")
    result = CliRunner().invoke(app, ["jobs", "probe", "--count", "2", "--fail-attempts", "1", "--timeout", "20"])
    assert result.exit_code == 1
    assert "0/2 probe jobs completed, 2 dead" in result.output


def test_status_rejects_a_malformed_id(env: None) -> None:
    result = CliRunner().invoke(app, ["jobs", "status", "not-a-uuid"])
    assert result.exit_code == 2
    assert result.output.strip() == "error: not a job id (a UUID): 'not-a-uuid'"
