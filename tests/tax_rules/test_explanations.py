"""Every line says in words which rule decided it, with the rule's dates and its source."""

from __future__ import annotations

import re

import pytest

from tax_rules import quote_from_json

from .builders import IOSS_DE, line, request

DIGITAL = line(id="d", hs_code=None, category="digital", unit_price="10.00")
VOUCHER = line(id="g", hs_code=None, category="gift_card", unit_price="25.00")
B2B_DE = {"type": "B2B", "vat_id": "DE136695976"}
B2B_GB = {"type": "B2B", "vat_id": "GB980780684"}
GB = {"ship_to": "GB", "postal_code": "SW1A 1AA", "currency": "GBP"}

CASES = {
    "ioss": request(registrations=[IOSS_DE], lines=[line(), line(id="2", hs_code="490199"), DIGITAL, VOUCHER]),
    "import": request(lines=[line(unit_price="400.00")]),
    "reverse_charge": request(ship_from="PL", customer=B2B_DE, lines=[line(), DIGITAL]),
    "b2b_import": request(customer=B2B_DE),
    "oss": request(ship_from="PL", lines=[line(), DIGITAL]),
    "micro_seller": request(ship_from="FR", established="FR", turnover=("0", "0"), lines=[line(), DIGITAL]),
    "domestic": request(ship_from="DE", established="DE", lines=[line(), DIGITAL]),
    "canary": request(ship_to="ES", postal_code="35001"),
    "xi_from_gb": request(ship_from="GB", established="GB", ship_to="XI", postal_code="BT1 1AA", lines=[line(), DIGITAL]),
    "gb_lvg": request(**GB, lines=[line(), DIGITAL, VOUCHER]),
    "gb_b2b": request(**GB, customer=B2B_GB, lines=[line(), DIGITAL]),
    "gb_import": request(**GB, lines=[line(unit_price="300.00")]),
    "gb_domestic": request(**GB, ship_from="GB", established="GB"),
}
DATED = re.compile(r"valid (since \d{4}-\d{2}-\d{2}|\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2})")


@pytest.mark.parametrize("body", CASES.values(), ids=CASES.keys())
def test_every_line_names_a_dated_sourced_rule(body: dict) -> None:
    result = quote_from_json(body)
    for tax_line in result["lines"]:
        rule_words = [w for w in tax_line["explanation"] if DATED.search(w) and "source:" in w]
        assert rule_words, (tax_line["id"], tax_line["explanation"])
    assert any(DATED.search(w) for w in result["explanation"])
