"""`taxrecon sandbox`: labelled as a sandbox in its help; bad input exits 2 with one line."""

from __future__ import annotations

from typer.testing import CliRunner

from app.cli import app


def test_help_says_sandbox_not_shopify() -> None:
    result = CliRunner().invoke(app, ["sandbox", "--help"])
    assert result.exit_code == 0
    assert "SANDBOX" in result.output and "not Shopify" in result.output


def test_bad_input_exits_2_with_one_line() -> None:
    for args, message in ((["--shop", "shop.example.com"], "error: shop domain must end with .myshopify.com"),
                          (["--plan", "gold"], "error: plan must be one of standard, advanced, plus, enterprise"),
                          (["--kind", "fr"], "error: kind must be 'eu' or 'us', not 'fr'")):
        result = CliRunner().invoke(app, ["sandbox", *args])
        assert result.exit_code == 2
        assert result.output.strip().splitlines() == [message]
