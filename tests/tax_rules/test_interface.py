"""quote_from_json validation (code + path) and the `python -m tax_rules` command line (exit codes, one JSON error)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tax_rules import TaxInputError, explain_text, quote_from_json
from tax_rules.__main__ import main

from .builders import IOSS_DE, line, request

ROOT = Path(__file__).resolve().parents[2]


def error_of(body: Any) -> tuple[str, str | None]:
    with pytest.raises(TaxInputError) as caught:
        quote_from_json(body)
    return caught.value.code, caught.value.path


def with_line(**fields: Any) -> dict[str, Any]:
    return request(lines=[{**line(), **fields}])


@pytest.mark.parametrize(("body", "code", "path"), [
    (with_line(hs_code="12AB"), "INVALID_HS_CODE", "lines[0].hs_code"),
    (with_line(quantity=-1), "INVALID_QUANTITY", "lines[0].quantity"),
    (with_line(quantity=1.5), "INVALID_QUANTITY", "lines[0].quantity"),
    (with_line(quantity=True), "INVALID_QUANTITY", "lines[0].quantity"),
    (with_line(unit_price="-3"), "INVALID_AMOUNT", "lines[0].unit_price"),
    (with_line(unit_price="abc"), "INVALID_AMOUNT", "lines[0].unit_price"),
    (with_line(unit_price=None), "MISSING_FIELD", "lines[0].unit_price"),
    (with_line(unit_price=["1"]), "INVALID_AMOUNT", "lines[0].unit_price"),
    (with_line(discount="60.00"), "INVALID_AMOUNT", "lines[0].discount"),
    (with_line(category="toys"), "UNKNOWN_CATEGORY", "lines[0].category"),
    (with_line(colour="red"), "UNKNOWN_FIELD", "lines[0].colour"),
    (with_line(attributes=[1]), "INVALID_FIELD", "lines[0].attributes"),
    ({**request(), "date": None}, "MISSING_FIELD", "date"),
    ({**request(), "date": "2026-02-30"}, "INVALID_DATE", "date"),
    ({**request(), "currency": "EURO"}, "INVALID_CURRENCY", "currency"),
    ({**request(), "rounding": "banker"}, "INVALID_FIELD", "rounding"),
    ({**request(), "prices_include_tax": "yes"}, "INVALID_FIELD", "prices_include_tax"),
    ({**request(), "lines": "x"}, "INVALID_FIELD", "lines"),
    ({**request(), "tip": 1}, "UNKNOWN_FIELD", "tip"),
    (request(ship_to="QQ"), "INVALID_COUNTRY", "ship_to.country"),
    (request(ship_to="CH", postal_code="8000"), "UNSUPPORTED_JURISDICTION", "ship_to.country"),
    ({**request(), "ship_to": {"country": "DE", "region": "ZZ"}}, "INVALID_REGION", "ship_to.region"),
    (request(customer={"type": "B2G"}), "INVALID_FIELD", "customer.type"),
    (request(registrations=[{"scheme": "MOSS"}]), "INVALID_FIELD", "seller.registrations[0].scheme"),
    (request(lines=[line(id="a"), line(id="a")]), "INVALID_FIELD", "lines[1].id"),
    (request(exchange_rates={"EUR": "0"}), "INVALID_AMOUNT", "exchange_rates.EUR"),
    (request(currency="CHF", registrations=[IOSS_DE], lines=[line()]) | {"currency": "XAU"}, "NO_EXCHANGE_RATE",
     "exchange_rates.EUR"),
    ([], "INVALID_FIELD", ""),
])
def test_bad_input_names_the_field(body: Any, code: str, path: str) -> None:
    assert error_of(body) == (code, path)


def test_amounts_may_be_json_numbers() -> None:
    body = request(registrations=[IOSS_DE], lines=[line(unit_price=50.1)])
    assert quote_from_json(body)["tax_total"] == "9.52"


def run_cli(args: list[str], stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    code = main(args, stdin=io.StringIO(stdin), stdout=out)
    return code, out.getvalue()


def test_cli_quote_from_stdin() -> None:
    code, out = run_cli(["quote", "-"], json.dumps(request(registrations=[IOSS_DE])))
    assert (code, json.loads(out)["tax_total"]) == (0, "9.50")


def test_cli_quote_from_file(tmp_path: Path) -> None:
    path = tmp_path / "req.json"
    path.write_text(json.dumps(request(registrations=[IOSS_DE])))
    code, out = run_cli(["quote", str(path)])
    assert (code, json.loads(out)["scheme"]) == (0, "IOSS")


@pytest.mark.parametrize(("args", "stdin", "code", "path"), [
    (["quote", "-"], json.dumps(with_line(hs_code="1")), "INVALID_HS_CODE", "lines[0].hs_code"),
    (["quote", "-"], "{not json", "INVALID_JSON", None),
    (["quote", "/nonexistent/req.json"], "", "UNREADABLE_INPUT", None),
    (["explain", "-"], json.dumps(with_line(quantity=0)), "INVALID_QUANTITY", "lines[0].quantity"),
    (["refund"], "", "USAGE", None),
    ([], "", "USAGE", None),
])
def test_cli_bad_input_exits_2_with_one_json_error(args, stdin: str, code: str, path: str | None) -> None:
    exit_code, out = run_cli(args, stdin)
    assert exit_code == 2
    assert out.count("\n") == 1
    error = json.loads(out)["error"]
    assert (error["code"], error["path"]) == (code, path)
    assert error["message"]


def test_cli_as_a_process_never_prints_a_traceback() -> None:
    bad = json.dumps(with_line(quantity=-2))
    done = subprocess.run([sys.executable, "-m", "tax_rules", "quote", "-"], input=bad, capture_output=True,
                          text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 2
    assert json.loads(done.stdout)["error"]["path"] == "lines[0].quantity"
    assert "Traceback" not in done.stderr + done.stdout


def test_explain_prints_rule_dates_and_sources() -> None:
    text = explain_text(request(registrations=[IOSS_DE], date="2024-09-01", ship_to="FI", postal_code="00100"))
    assert "Tax quote — FI, scheme IOSS" in text
    assert "FI standard VAT 25.5 % (valid since 2024-09-01; source: commerceguys/tax:resources/tax_type/fi_vat.json)" \
        in text
    assert "IOSS: intrinsic value EUR 50.00 <= EUR 150" in text


def test_cli_explain_exit_0() -> None:
    code, out = run_cli(["explain", "-"], json.dumps(request(registrations=[IOSS_DE])))
    assert code == 0 and out.startswith("Tax quote — DE, scheme IOSS")


def test_cli_nexus_is_wired_to_the_us_nexus_rules() -> None:
    body = {"date": "2026-01-15", "region": "US-IL",
            "history": [{"period_start": "2025-01-01", "period_end": "2025-12-31", "sales": "60000.00",
                         "transactions": 250}]}
    code, out = run_cli(["nexus", "-"], json.dumps(body))
    assert (code, json.loads(out)["has_nexus"]) == (0, False)
    code, out = run_cli(["nexus", "-"], json.dumps({**body, "region": "US-ZZ"}))
    assert (code, json.loads(out)["error"]["path"]) == (2, "region")


def test_missing_fields_are_reported_in_the_contract_order() -> None:
    assert error_of({"lines": []}) == ("MISSING_FIELD", "date")
    assert error_of({"date": "2026-03-01"}) == ("MISSING_FIELD", "currency")
    assert error_of({"date": "2026-03-01", "currency": "EUR"}) == ("MISSING_FIELD", "ship_from")
    body = request()
    del body["seller"]
    assert error_of(body) == ("MISSING_FIELD", "seller")
    body = request()
    del body["lines"]
    assert error_of(body) == ("MISSING_FIELD", "lines")
