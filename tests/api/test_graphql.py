"""GraphQL: tenancy, roles, limits and error codes."""

from __future__ import annotations

from tests.api.conftest import make_key, make_shop


def _setup_two_shops(api):  # type: ignore[no-untyped-def]
    key = api.settings.secret_key.get_secret_value()

    async def setup(database):  # type: ignore[no-untyped-def]
        await make_shop(database, "alpha.myshopify.com", key=key, currency="EUR", timezone="Europe/Berlin")
        await make_shop(database, "beta.myshopify.com", key=key, currency="USD")
        return (await make_key(database, "finance", ["alpha.myshopify.com"]),
                await make_key(database, "admin", ["alpha.myshopify.com", "beta.myshopify.com"]))

    return api.run(setup)


def test_shops_are_scoped_to_the_api_key(api) -> None:  # type: ignore[no-untyped-def]
    finance_key, admin_key = _setup_two_shops(api)
    query = "{ shops { domain currency timezone needsReauth } }"
    assert api.graphql(query, finance_key).json() == {
        "data": {"shops": [{"domain": "alpha.myshopify.com", "currency": "EUR", "timezone": "Europe/Berlin",
                            "needsReauth": False}]}}
    domains = [s["domain"] for s in api.graphql(query, admin_key).json()["data"]["shops"]]
    assert domains == ["alpha.myshopify.com", "beta.myshopify.com"]


def test_alias_limit(api) -> None:  # type: ignore[no-untyped-def]
    finance_key, _ = _setup_two_shops(api)
    aliases = " ".join(f"a{i}: shops {{ domain }}" for i in range(api.settings.graphql_max_aliases + 1))
    body = api.graphql("{ " + aliases + " }", finance_key).json()
    assert body["errors"][0]["extensions"]["code"] == "QUERY_LIMIT_EXCEEDED"


def test_token_limit(api) -> None:  # type: ignore[no-untyped-def]
    finance_key, _ = _setup_two_shops(api)
    huge = "{ shops { " + " ".join(["domain"] * (api.settings.graphql_max_tokens + 10)) + " } }"
    body = api.graphql(huge, finance_key).json()
    assert body["errors"][0]["extensions"]["code"] == "QUERY_LIMIT_EXCEEDED"


def test_invalid_document_has_a_code(api) -> None:  # type: ignore[no-untyped-def]
    finance_key, _ = _setup_two_shops(api)
    body = api.graphql("{ shops { nope } }", finance_key).json()
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "nope" in body["errors"][0]["message"]


def test_unexpected_errors_are_masked_and_logged(caplog) -> None:  # type: ignore[no-untyped-def]
    from graphql import GraphQLError

    from app.errors import NotFound
    from app.graphql.errors import classify_errors
    from app.logging import install_redaction

    bug = GraphQLError("boom", original_error=RuntimeError("token shpat_abc123 leaked in a bug"))
    expected = GraphQLError("x", original_error=NotFound("no shop 'x'", code="SHOP_NOT_FOUND", field="shop"))
    install_redaction()
    classify_errors([bug, expected])
    assert (bug.message, bug.extensions) == ("Unexpected error.", {"code": "INTERNAL_ERROR"})
    assert (expected.message, expected.extensions) == ("no shop 'x'", {"code": "SHOP_NOT_FOUND", "field": "shop"})
    assert "RuntimeError" in caplog.text
    assert "shpat_abc123" not in caplog.text
