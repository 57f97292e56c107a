"""Translate `/work/shared/data/tax/example-scenarios.json` cases into the contract's request JSON and check results.

The scenario file states seller context loosely (`ioss`, `oss_union`, `vat_registrations`, `uk_vat`,
`us_nexus_states`, `sg_ovr`, `au_gst_registered`, ...); this module maps each onto contract registrations, so the
scenarios run through the public `quote_from_json` exactly as a caller would.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

SCENARIO_FILE = Path("/work/shared/data/tax/example-scenarios.json")
LOCAL_COPY = Path(__file__).with_name("example-scenarios.json")

SCHEME_WORDS = {
    "IOSS": "IOSS",
    "intra-Community supply": "REVERSE_CHARGE",
    "reverse charge": "REVERSE_CHARGE",
    "UK <= GBP 135": "UK_LVG",
    "OVR low-value": "SG_OVR_LVG",
    "LVG point-of-sale GST": None,  # AU_LVG or NZ_LVG, by jurisdiction
    "MY LVG": "MY_LVG",
    "import": "IMPORT_AT_BORDER",
    "OSS": "OSS_UNION",
}


def load_scenarios() -> list[dict[str, Any]]:
    path = SCENARIO_FILE if SCENARIO_FILE.exists() else LOCAL_COPY
    return json.loads(path.read_text(encoding="utf-8"))["scenarios"]


def _registrations(seller: dict[str, Any]) -> list[dict[str, Any]]:
    regs: list[dict[str, Any]] = []
    if seller.get("ioss"):
        regs.append({"scheme": "IOSS", "number": str(seller["ioss"]).split()[0]})
    if seller.get("oss_union"):
        regs.append({"scheme": "OSS_UNION", "country": seller.get("oss_country") or seller.get("established")})
    if seller.get("oss_non_union"):
        regs.append({"scheme": "OSS_NON_UNION"})
    for country in seller.get("vat_registrations") or []:
        regs.append({"scheme": "VAT", "country": country})
    if seller.get("uk_vat"):
        regs.append({"scheme": "UK_VAT", "number": seller["uk_vat"]})
    for state in seller.get("us_nexus_states") or []:
        regs.append({"scheme": "US_SALES_TAX", "region": f"US-{state}"})
    flags = {"sg_ovr": "SG_OVR", "my_lvg": "MY_LVG", "au_gst_registered": "AU_GST", "nz_gst_registered": "NZ_GST",
             "id_vat": "ID_VAT", "ph_vat": "PH_VAT", "th_vat": "TH_VAT", "vn_vat": "VN_VAT"}
    regs.extend({"scheme": scheme} for flag, scheme in flags.items() if seller.get(flag))
    return regs


def _turnover(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {k: str(v) for k, v in value.items() if k in ("previous_year", "current_year")}
    return {"previous_year": str(value), "current_year": str(value)}


def to_request(scenario: dict[str, Any]) -> dict[str, Any]:
    seller = scenario["seller"]
    request_seller: dict[str, Any] = {"established": seller["established"], "registrations": _registrations(seller)}
    if seller.get("eu_b2c_cross_border_turnover_eur") is not None:
        request_seller["eu_b2c_cross_border_turnover_eur"] = _turnover(seller["eu_b2c_cross_border_turnover_eur"])
    customer = {k: v for k, v in scenario.get("customer", {}).items() if k in ("type", "vat_id")}
    line_keys = ("hs_code", "category", "attributes", "description", "unit_price", "quantity", "unit_cost",
                 "discount", "requires_shipping")
    lines = [{"id": str(i + 1), **{k: v for k, v in line.items() if k in line_keys}}
             for i, line in enumerate(scenario["lines"])]
    shipping = {k: v for k, v in scenario.get("shipping", {}).items()
                if k in ("amount", "separately_stated", "by_common_carrier")}
    request = {
        "date": scenario["date"], "currency": scenario["currency"],
        "prices_include_tax": scenario.get("prices_include_tax", False),
        "rounding": scenario.get("rounding", "line"),
        "ship_from": scenario["ship_from"], "ship_to": scenario["ship_to"], "customer": customer,
        "seller": request_seller, "lines": lines, "shipping": shipping,
    }
    if scenario.get("exchange_rates"):
        request["exchange_rates"] = scenario["exchange_rates"]
    return request


def expected_scheme(text: str, jurisdiction: str) -> str:
    if text in {"DOMESTIC", "OSS_UNION", "OSS_NON_UNION", "IOSS", "REVERSE_CHARGE", "IMPORT_AT_BORDER", "US_SALES_TAX",
                "NO_NEXUS", "SG_OVR_LVG", "MY_LVG", "AU_LVG", "NZ_LVG", "UK_LVG", "EXEMPT", "OUT_OF_SCOPE"}:
        return text
    for words, scheme in SCHEME_WORDS.items():
        if words.lower() in text.lower():
            return scheme or f"{jurisdiction}_LVG"
    raise AssertionError(f"scenario scheme text {text!r} has no mapping in tests/tax_rules/scenarios.py")


def dec(value: Any) -> Decimal:
    return Decimal(str(value))


def nexus_requests(scenario: dict[str, Any]) -> list[tuple[str, dict[str, Any], bool]]:
    """(state, nexus request, expected has_nexus) for scenarios with a US sales history."""
    result = []
    history = scenario["seller"].get("history") or {}
    for state, expected in scenario["expected"]["nexus"].items():
        periods = [
            {"period_start": f"{year}-01-01", "period_end": f"{year}-12-31",
             "sales": str(figures.get("sales_usd", figures.get("sales", 0))),
             "transactions": figures.get("transactions", 0)}
            for year, figures in sorted(history.get(state, {}).items())
        ]
        result.append((state, {"date": scenario["date"], "region": f"US-{state}", "history": periods}, expected))
    return result
