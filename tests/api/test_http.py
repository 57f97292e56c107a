"""HTTP surface: health, readiness, metrics, authentication and method rules of /graphql."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from app.errors import ConfigurationError
from app.main import create_app, safe_url
from tests.conftest import make_settings


def test_healthz_and_readyz(api) -> None:  # type: ignore[no-untyped-def]
    assert api.client.get("/healthz").json()["status"] == "ok"
    ready = api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}


def test_metrics_count_requests_by_route(api) -> None:  # type: ignore[no-untyped-def]
    api.client.get("/healthz")
    body = api.client.get("/metrics").text
    assert 'taxrecon_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in body
    assert "taxrecon_http_request_duration_seconds_bucket" in body


@pytest.mark.parametrize(
    ("headers", "reason_case"),
    [({}, "missing"), ({"Authorization": "Bearer trk_not-a-real-key-at-all"}, "wrong"),
     ({"Authorization": "Basic abc"}, "scheme")],
)
def test_graphql_needs_a_valid_api_key(api, headers, reason_case) -> None:  # type: ignore[no-untyped-def]
    response = api.client.post("/graphql", json={"query": "{ shops { domain } }"}, headers=headers)
    assert response.status_code == 401, reason_case
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["message"]
    assert "trk_not-a-real-key" not in response.text


def test_graphql_get_is_refused_in_production(database_url: str) -> None:
    settings = make_settings(database_url, env="production")
    with TestClient(create_app(settings)) as client:
        response = client.get("/graphql", params={"query": "{ shops { domain } }"})
    assert response.status_code == 405
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


def test_unmigrated_database_is_refused_at_start(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "empty.db").touch()
    settings = make_settings(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(ConfigurationError, match="not migrated .* run `taxrecon migrate`"):
        with TestClient(create_app(settings)):
            pass


def test_safe_url_masks_passwords() -> None:
    assert safe_url("postgresql://u:secret@h/db") == "postgresql://u:***@h/db"
    assert safe_url("amqp://guest:guestpw@127.0.0.1:5672/%2F") == "amqp://guest:***@127.0.0.1:5672/%2F"


def test_graphiql_is_served_in_development(api) -> None:  # type: ignore[no-untyped-def]
    page = api.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    refused = api.client.get("/graphql", params={"query": "{ shops { domain } }"})
    assert refused.status_code in (400, 405)
    assert "data" not in refused.text
