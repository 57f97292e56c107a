"""The worked examples of /work/shared/data/tax/example-scenarios.json, run exactly, table-driven.

Every scenario goes through the public JSON entry point; every expected figure it states is asserted exactly.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tax_rules import nexus_from_json, quote_from_json

from .scenarios import dec, expected_scheme, load_scenarios, nexus_requests, to_request

SCENARIOS = load_scenarios()
QUOTE_CASES = [s for s in SCENARIOS if "nexus" not in s["expected"]]
NEXUS_CASES = [s for s in SCENARIOS if "nexus" in s["expected"]]


def _state_components(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for line in result["lines"] for c in line["components"] if c["level"] == "state"]


@pytest.mark.parametrize("scenario", QUOTE_CASES, ids=[s["id"] for s in QUOTE_CASES])
def test_scenario_quote(scenario: dict[str, Any]) -> None:
    # given
    expected = scenario["expected"]
    # when
    result = quote_from_json(to_request(scenario))
    # then
    jurisdiction = expected["jurisdiction"].split()[0]
    assert result["jurisdiction"] == jurisdiction
    if "scheme" in expected:
        assert result["scheme"] == expected_scheme(expected["scheme"], jurisdiction)
    if "rate" in expected:
        assert {dec(line["rate"]) for line in result["lines"]} == {dec(expected["rate"])}
    if "tax_amount" in expected:
        assert dec(result["tax_total"]) == dec(expected["tax_amount"])
    if "net_amount" in expected:
        assert sum((dec(line["taxable_amount"]) for line in result["lines"]), Decimal(0)) == dec(expected["net_amount"])
    if "intrinsic_value_eur" in expected:
        assert dec(result["customs"]["intrinsic_value_eur"]) == dec(expected["intrinsic_value_eur"])
    if "customs_duty_eur" in expected:
        assert result["customs"]["duty_currency"] == "EUR"
        assert dec(result["customs"]["duty"]) == dec(expected["customs_duty_eur"])
    if "tax_amount_per_line_rounding" in expected:
        assert dec(result["tax_total_line_rounding"]) == dec(expected["tax_amount_per_line_rounding"])
        assert dec(result["tax_total"]) == dec(expected["tax_amount_per_line_rounding"])
    if "tax_amount_per_invoice_rounding" in expected:
        assert dec(result["tax_total_invoice_rounding"]) == dec(expected["tax_amount_per_invoice_rounding"])
    if "state_rate" in expected:
        state = _state_components(result)
        rate = dec(expected["state_rate"])
        if state:
            assert {dec(c["rate"]) for c in state} == {rate}
        else:  # every line exempt (rate "0" per the contract): the explanation must still quote the state rate
            assert all(line["scheme"] == "EXEMPT" for line in result["lines"])
            assert any(f"state sales tax {rate.normalize():f} %" in e for e in result["explanation"])
    if "state_tax_amount" in expected:
        total = sum((dec(c["tax_amount"]) for c in _state_components(result)), Decimal(0))
        assert total == dec(expected["state_tax_amount"])
    for index, line in enumerate(expected.get("lines", [])):
        assert dec(result["lines"][index]["tax_amount"]) == dec(line["tax_amount"])
    if "shipping_taxable" in expected:
        assert result["shipping"]["taxable"] is expected["shipping_taxable"]


@pytest.mark.parametrize("scenario", NEXUS_CASES, ids=[s["id"] for s in NEXUS_CASES])
def test_scenario_nexus(scenario: dict[str, Any]) -> None:
    for state, request, expected in nexus_requests(scenario):
        result = nexus_from_json(request)
        assert (state, result["has_nexus"]) == (state, expected)
