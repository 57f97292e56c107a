"""No Docker engine runs here, so test what can be tested: the compose file parses and is wired sensibly, the
Dockerfile is multi-stage and non-root, and every command the containers run is a real CLI command with those flags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from app.cli import app as cli_app

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
DOCKERFILE = (ROOT / "docker" / "Dockerfile").read_text().splitlines()


def test_compose_declares_the_production_stack() -> None:
    assert set(COMPOSE["services"]) == {"postgres", "redis", "migrations", "api", "worker"}
    api = COMPOSE["services"]["api"]
    assert api["depends_on"]["migrations"]["condition"] == "service_completed_successfully"
    assert api["environment"]["TAXRECON_DATABASE_URL"].startswith("postgresql://")
    assert api["environment"]["TAXRECON_BROKER_URL"].startswith("redis://")


@pytest.mark.parametrize("service", ["migrations", "api", "worker"])
def test_every_container_command_is_a_cli_command(service: str) -> None:
    command = COMPOSE["services"][service]["command"]
    assert command[0] == "taxrecon"
    result = CliRunner().invoke(cli_app, [*command[1:], "--help"])
    assert result.exit_code == 0, result.output


def test_dockerfile_is_multi_stage_and_unprivileged() -> None:
    stages = [line for line in DOCKERFILE if line.startswith("FROM ")]
    assert len(stages) == 2
    assert any(line.startswith("COPY --from=builder") for line in DOCKERFILE)
    users = [line.split()[1] for line in DOCKERFILE if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    cmd = next(line for line in DOCKERFILE if line.startswith("CMD "))
    argv = json.loads(cmd[4:])
    result = CliRunner().invoke(cli_app, [*argv[1:], "--help"])
    assert result.exit_code == 0, result.output
