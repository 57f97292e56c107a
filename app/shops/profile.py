"""The shop's tax profile: the seller facts fed to `tax_rules` (contracts/tax-quote.md, `seller`) plus shop policy.

Shape (JSON object):
    {"established": "CN",                                  # ISO 3166-1 alpha-2 (XI for Northern Ireland)
     "registrations": [{"scheme": "IOSS", "number": "IM2760000013"},
                       {"scheme": "OSS_UNION", "country": "DE"},
                       {"scheme": "US_SALES_TAX", "region": "US-CA"}, ...],
     "eu_b2c_cross_border_turnover_eur": {"previous_year": "0", "current_year": "0"},   # optional, decimal strings
     "ship_from": {"country": "CN", "region": null, "postal_code": "518000", "city": "Shenzhen"},   # optional
     "digital_auto_fulfill": false}                        # Shopify auto-fulfils digital lines (reconciliation)

Only the basic shape is checked here (types, codes, required fields per scheme); what a registration *means* is the
tax engine's business. Unknown keys are refused so that a typo never silently drops a registration.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry

from app.errors import InvalidInput

REGISTRATION_SCHEMES = (
    "IOSS", "OSS_UNION", "OSS_NON_UNION", "VAT", "US_SALES_TAX", "UK_VAT", "SG_OVR", "MY_LVG", "AU_GST", "NZ_GST",
    "ID_VAT", "PH_VAT", "TH_VAT", "VN_VAT", "MY_DST",
)
_NEEDS_COUNTRY = {"OSS_UNION", "VAT"}
_NEEDS_NUMBER = {"IOSS", "VAT"}
_TOP_LEVEL = ("established", "registrations", "eu_b2c_cross_border_turnover_eur", "ship_from",
              "digital_auto_fulfill")
_REGISTRATION_KEYS = {"scheme", "country", "region", "number", "valid_from", "valid_to"}
_ADDRESS_KEYS = {"country", "region", "postal_code", "city"}
_IOSS_NUMBER = re.compile(r"IM\d{10}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _bad(message: str) -> InvalidInput:
    return InvalidInput(f"tax profile: {message}", field="tax_profile")


def _country(value: Any, where: str) -> str:
    if not isinstance(value, str) or (value != "XI" and pycountry.countries.get(alpha_2=value) is None):
        raise _bad(f"{where} must be an ISO 3166-1 alpha-2 country code such as 'DE', got {value!r}")
    return value


def _us_region(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.startswith("US-") or pycountry.subdivisions.get(code=value) is None:
        raise _bad(f"{where} must be a US state code such as 'US-CA', got {value!r}")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad(f"{where} must be a non-empty string")
    return value.strip()


def _registration(item: Any, index: int) -> dict[str, Any]:
    where = f"registrations[{index}]"
    if not isinstance(item, dict):
        raise _bad(f"{where} must be an object with a 'scheme'")
    unknown = sorted(set(item) - _REGISTRATION_KEYS)
    if unknown:
        raise _bad(f"{where} has unknown field(s) {', '.join(unknown)}")
    scheme = item.get("scheme")
    if scheme not in REGISTRATION_SCHEMES:
        raise _bad(f"{where}.scheme {scheme!r} is not one of {', '.join(REGISTRATION_SCHEMES)}")
    result: dict[str, Any] = {"scheme": scheme}
    if scheme in _NEEDS_COUNTRY or "country" in item:
        result["country"] = _country(item.get("country"), f"{where}.country")
    if scheme == "US_SALES_TAX" or item.get("region") is not None:
        result["region"] = _us_region(item.get("region"), f"{where}.region") if scheme == "US_SALES_TAX" \
            else _text(item.get("region"), f"{where}.region")
    if scheme in _NEEDS_NUMBER or item.get("number") is not None:
        result["number"] = _text(item.get("number"), f"{where}.number").replace(" ", "").upper()
    if scheme == "IOSS" and not _IOSS_NUMBER.fullmatch(result["number"]):
        raise _bad(f"{where}.number must be an IOSS number: IM + 10 digits (e.g. IM2760000013)")
    for bound in ("valid_from", "valid_to"):
        if item.get(bound) is not None:
            if not isinstance(item[bound], str) or not _DATE.fullmatch(item[bound]):
                raise _bad(f"{where}.{bound} must be a date YYYY-MM-DD")
            result[bound] = item[bound]
    return result


def _turnover(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or set(value) - {"previous_year", "current_year"}:
        raise _bad("eu_b2c_cross_border_turnover_eur must be an object with previous_year and current_year")
    result = {}
    for key, amount in value.items():
        if isinstance(amount, float) or not isinstance(amount, (str, int)):
            raise _bad(f"eu_b2c_cross_border_turnover_eur.{key} must be a decimal string such as '9500.00'")
        try:
            parsed = Decimal(str(amount))
        except InvalidOperation:
            raise _bad(f"eu_b2c_cross_border_turnover_eur.{key} {amount!r} is not a decimal number") from None
        if not parsed.is_finite() or parsed < 0:
            raise _bad(f"eu_b2c_cross_border_turnover_eur.{key} must be a non-negative amount")
        result[key] = str(amount)
    return result


def _address(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad("ship_from must be an address object with at least a country")
    unknown = sorted(set(value) - _ADDRESS_KEYS)
    if unknown:
        raise _bad(f"ship_from has unknown field(s) {', '.join(unknown)}")
    result: dict[str, Any] = {"country": _country(value.get("country"), "ship_from.country")}
    for key in ("region", "postal_code", "city"):
        if value.get(key) is not None:
            result[key] = _text(value[key], f"ship_from.{key}")
    return result


def validate_tax_profile(profile: Any) -> dict[str, Any]:
    """A normalised copy of `profile`; InvalidInput naming the first problem."""
    if not isinstance(profile, dict):
        raise _bad(f"must be a JSON object, not {type(profile).__name__}")
    unknown = sorted(set(profile) - set(_TOP_LEVEL))
    if unknown:
        raise _bad(f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(_TOP_LEVEL)}")
    if "established" not in profile:
        raise _bad("'established' (the seller's country, e.g. 'CN') is required")
    registrations = profile.get("registrations", [])
    if not isinstance(registrations, list):
        raise _bad("registrations must be a list")
    auto_fulfill = profile.get("digital_auto_fulfill", False)
    if not isinstance(auto_fulfill, bool):
        raise _bad("digital_auto_fulfill must be true or false")
    result: dict[str, Any] = {
        "established": _country(profile["established"], "established"),
        "registrations": [_registration(item, i) for i, item in enumerate(registrations)],
        "digital_auto_fulfill": auto_fulfill,
    }
    if profile.get("eu_b2c_cross_border_turnover_eur") is not None:
        result["eu_b2c_cross_border_turnover_eur"] = _turnover(profile["eu_b2c_cross_border_turnover_eur"])
    if profile.get("ship_from") is not None:
        result["ship_from"] = _address(profile["ship_from"])
    return result
