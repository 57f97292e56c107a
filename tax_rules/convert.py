"""JSON (the contract's snake_case dicts) ⇄ model dataclasses, with input validation that names the field.

Every problem raises `TaxInputError(code, message, path)` where `path` is the JSON path (`lines[0].hs_code`).
Amounts are accepted as decimal strings or JSON numbers (never kept as floats: a float goes through `repr`).
Unknown keys are rejected (`UNKNOWN_FIELD`) so that a misspelt field never silently changes a tax result.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import pycountry

from .categories import normalise_hs
from .errors import TaxInputError
from .model import (
    Address, Category, Customer, Line, QuoteRequest, Registration, SellerProfile, Shipping, Turnover,
)

REGISTRATION_SCHEMES = frozenset({
    "IOSS", "OSS_UNION", "OSS_NON_UNION", "VAT", "US_SALES_TAX", "UK_VAT", "SG_OVR", "SG_GST", "MY_LVG", "AU_GST",
    "NZ_GST", "ID_VAT", "PH_VAT", "TH_VAT", "VN_VAT", "MY_DST",
})
EXTRA_COUNTRIES = frozenset({"XI"})  # Northern Ireland for VAT purposes (not an ISO 3166-1 code)

REQUEST_KEYS = {"date", "currency", "prices_include_tax", "rounding", "ship_from", "ship_to", "customer", "seller",
                "lines", "shipping", "exchange_rates", "local_rates"}
ADDRESS_KEYS = {"country", "region", "postal_code", "city"}
LINE_KEYS = {"id", "hs_code", "category", "attributes", "description", "unit_price", "quantity", "unit_cost",
             "discount", "requires_shipping"}
SELLER_KEYS = {"established", "registrations", "eu_b2c_cross_border_turnover_eur"}
REGISTRATION_KEYS = {"scheme", "country", "region", "number"}
SHIPPING_KEYS = {"amount", "separately_stated", "by_common_carrier"}


def fail(code: str, message: str, path: str) -> TaxInputError:
    return TaxInputError(code, message, path)


def obj(value: Any, path: str, allowed: set[str], required: bool = True) -> dict[str, Any]:
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise fail("INVALID_FIELD", f"{path or 'request'} must be a JSON object", path)
    for key in value:
        if key not in allowed:
            raise fail("UNKNOWN_FIELD", f"unknown field {key!r}", f"{path}.{key}" if path else str(key))
    return value


def amount(value: Any, path: str, *, required: bool = True, default: Decimal | None = None) -> Decimal:
    if value is None:
        if required and default is None:
            raise fail("MISSING_FIELD", f"{path} is required", path)
        return default if default is not None else Decimal(0)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise fail("INVALID_AMOUNT", f"{path} must be a decimal string or number", path)
    try:
        result = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        raise fail("INVALID_AMOUNT", f"{path} {value!r} is not a decimal amount", path) from None
    if not result.is_finite():
        raise fail("INVALID_AMOUNT", f"{path} must be a finite amount", path)
    if result < 0:
        raise fail("INVALID_AMOUNT", f"{path} must not be negative (got {value})", path)
    return result


def boolean(value: Any, path: str, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise fail("INVALID_FIELD", f"{path} must be true or false", path)
    return value


def text(value: Any, path: str, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise fail("MISSING_FIELD", f"{path} is required", path)
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise fail("INVALID_FIELD", f"{path} must be a string", path)
    return str(value)


@lru_cache(maxsize=512)
def _known_country(code: str) -> bool:
    return code in EXTRA_COUNTRIES or pycountry.countries.get(alpha_2=code) is not None


@lru_cache(maxsize=4096)
def _known_region(country: str, region: str) -> bool:
    if country == "XI":
        country = "GB"
    try:
        return pycountry.subdivisions.get(code=f"{country}-{region}") is not None
    except KeyError:
        return False


def country(value: Any, path: str) -> str:
    code = text(value, path, required=True)
    assert code is not None
    code = code.strip().upper()
    if code == "UK":
        code = "GB"
    if len(code) != 2 or not _known_country(code):
        raise fail("INVALID_COUNTRY", f"unknown country {value!r} (ISO 3166-1 alpha-2 expected)", path)
    return code


def region(value: Any, country_code: str, path: str) -> str | None:
    code = text(value, path)
    if code is None or not code.strip():
        return None
    code = code.strip().upper()
    if code.startswith(f"{country_code}-"):
        code = code[len(country_code) + 1:]
    if not _known_region(country_code, code):
        raise fail("INVALID_REGION", f"unknown region {value!r} for {country_code} (ISO 3166-2 expected)", path)
    return code


def address(value: Any, path: str) -> Address:
    data = obj(value, path, ADDRESS_KEYS)
    code = country(data.get("country"), f"{path}.country")
    return Address(
        country=code,
        region=region(data.get("region"), code, f"{path}.region"),
        postal_code=(text(data.get("postal_code"), f"{path}.postal_code") or "").strip() or None,
        city=text(data.get("city"), f"{path}.city"),
    )


def customer(value: Any) -> Customer:
    data = obj(value, "customer", {"type", "vat_id"}, required=False)
    kind = (text(data.get("type"), "customer.type") or "B2C").upper()
    if kind not in ("B2C", "B2B"):
        raise fail("INVALID_FIELD", f"customer.type must be B2C or B2B (got {data.get('type')!r})", "customer.type")
    vat_id = text(data.get("vat_id"), "customer.vat_id")
    return Customer(type=kind, vat_id=vat_id.strip() if vat_id and vat_id.strip() else None)


def registration(value: Any, path: str) -> Registration:
    data = obj(value, path, REGISTRATION_KEYS)
    scheme = (text(data.get("scheme"), f"{path}.scheme", required=True) or "").upper()
    if scheme not in REGISTRATION_SCHEMES:
        raise fail("INVALID_FIELD", f"unknown registration scheme {scheme!r} (known: "
                   f"{', '.join(sorted(REGISTRATION_SCHEMES))})", f"{path}.scheme")
    reg_country = country(data["country"], f"{path}.country") if data.get("country") is not None else None
    reg_region = text(data.get("region"), f"{path}.region")
    if reg_region:
        reg_region = reg_region.strip().upper()
        if scheme == "US_SALES_TAX" and not reg_region.startswith("US-"):
            reg_region = f"US-{reg_region}"
        parts = reg_region.split("-", 1)
        if len(parts) != 2 or not _known_region(parts[0], parts[1]):
            raise fail("INVALID_REGION", f"unknown region {data.get('region')!r} (e.g. US-CA)", f"{path}.region")
    number = text(data.get("number"), f"{path}.number")
    return Registration(scheme=scheme, country=reg_country, region=reg_region or None,
                        number=number.strip() if number else None)


def seller(value: Any) -> SellerProfile:
    data = obj(value, "seller", SELLER_KEYS)
    regs = data.get("registrations") or []
    if not isinstance(regs, list):
        raise fail("INVALID_FIELD", "seller.registrations must be a list", "seller.registrations")
    turnover = obj(data.get("eu_b2c_cross_border_turnover_eur"), "seller.eu_b2c_cross_border_turnover_eur",
                   {"previous_year", "current_year"}, required=False)
    path = "seller.eu_b2c_cross_border_turnover_eur"
    return SellerProfile(
        established=country(data.get("established"), "seller.established"),
        registrations=tuple(registration(r, f"seller.registrations[{i}]") for i, r in enumerate(regs)),
        eu_b2c_cross_border_turnover_eur=Turnover(
            previous_year=amount(turnover.get("previous_year"), f"{path}.previous_year", required=False),
            current_year=amount(turnover.get("current_year"), f"{path}.current_year", required=False),
        ),
    )


def quantity(value: Any, path: str) -> int:
    if value is None:
        raise fail("MISSING_FIELD", f"{path} is required", path)
    if isinstance(value, bool):
        raise fail("INVALID_QUANTITY", f"{path} must be a positive whole number", path)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise fail("INVALID_QUANTITY", f"{path} {value!r} is not a number", path) from None
    if not number.is_finite() or number != number.to_integral_value() or number <= 0:
        raise fail("INVALID_QUANTITY", f"{path} must be a positive whole number (got {value})", path)
    return int(number)


def line(value: Any, index: int) -> Line:
    path = f"lines[{index}]"
    data = obj(value, path, LINE_KEYS)
    raw_hs = text(data.get("hs_code"), f"{path}.hs_code")
    hs = normalise_hs(raw_hs, f"{path}.hs_code") if raw_hs is not None and raw_hs.strip() else None
    category = None
    if data.get("category") is not None:
        try:
            category = Category(str(data["category"]).strip().lower())
        except ValueError:
            raise fail("UNKNOWN_CATEGORY", f"unknown category {data['category']!r} (known: "
                       f"{', '.join(c.value for c in Category)})", f"{path}.category") from None
    attributes = data.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise fail("INVALID_FIELD", f"{path}.attributes must be an object", f"{path}.attributes")
    qty = quantity(data.get("quantity", 1), f"{path}.quantity")
    price = amount(data.get("unit_price"), f"{path}.unit_price")
    discount = amount(data.get("discount"), f"{path}.discount", required=False)
    if discount > price * qty:
        raise fail("INVALID_AMOUNT", f"{path}.discount {discount} exceeds the line total {price * qty}",
                   f"{path}.discount")
    digital = category in (Category.DIGITAL, Category.GIFT_CARD)
    return Line(
        id=text(data.get("id"), f"{path}.id") or str(index + 1),
        hs_code=hs,
        category=category,
        attributes=attributes,
        description=text(data.get("description"), f"{path}.description"),
        unit_price=price,
        quantity=qty,
        unit_cost=amount(data["unit_cost"], f"{path}.unit_cost") if data.get("unit_cost") is not None else None,
        discount=discount,
        requires_shipping=boolean(data.get("requires_shipping"), f"{path}.requires_shipping", not digital),
    )


def shipping(value: Any) -> Shipping:
    data = obj(value, "shipping", SHIPPING_KEYS, required=False)
    carrier = data.get("by_common_carrier")
    return Shipping(
        amount=amount(data.get("amount"), "shipping.amount", required=False),
        separately_stated=boolean(data.get("separately_stated"), "shipping.separately_stated", True),
        by_common_carrier=None if carrier is None else boolean(carrier, "shipping.by_common_carrier", False),
    )


def currency(value: Any) -> str:
    code = (text(value, "currency", required=True) or "").strip().upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise fail("INVALID_CURRENCY", f"unknown currency {value!r} (ISO 4217 expected)", "currency")
    return code


def exchange_rates(value: Any) -> dict[str, Decimal]:
    data = value or {}
    if not isinstance(data, dict):
        raise fail("INVALID_FIELD", "exchange_rates must be an object like {\"EUR\": \"0.92\"}", "exchange_rates")
    rates = {}
    for code, rate in data.items():
        path = f"exchange_rates.{code}"
        parsed = amount(rate, path)
        if parsed == 0:
            raise fail("INVALID_AMOUNT", f"{path} must be positive", path)
        rates[currency(code) if isinstance(code, str) else code] = parsed
    return rates


def supply_date(value: Any) -> date:
    if value is None:
        raise fail("MISSING_FIELD", "date is required (the date of supply, YYYY-MM-DD)", "date")
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise fail("INVALID_DATE", f"date {value!r} is not an ISO date (YYYY-MM-DD)", "date") from None


def request_from_json(data: Any) -> QuoteRequest:
    """Validate and convert the contract's request dict; fields are checked in the contract's order."""
    body = obj(data, "", REQUEST_KEYS)
    on = supply_date(body.get("date"))
    code = currency(body.get("currency"))
    include_tax = boolean(body.get("prices_include_tax"), "prices_include_tax", False)
    rounding = text(body.get("rounding"), "rounding") or "line"
    if rounding not in ("line", "invoice"):
        raise fail("INVALID_FIELD", f"rounding must be 'line' or 'invoice' (got {rounding!r})", "rounding")
    for key in ("ship_from", "ship_to"):
        if body.get(key) is None:
            raise fail("MISSING_FIELD", f"{key} is required", key)
    ship_from, ship_to = address(body["ship_from"], "ship_from"), address(body["ship_to"], "ship_to")
    buyer = customer(body.get("customer"))
    if body.get("seller") is None:
        raise fail("MISSING_FIELD", "seller is required", "seller")
    profile = seller(body["seller"])
    return QuoteRequest(
        date=on, currency=code, ship_from=ship_from, ship_to=ship_to, seller=profile, lines=_lines(body.get("lines")),
        customer=buyer, shipping=shipping(body.get("shipping")), prices_include_tax=include_tax, rounding=rounding,
        exchange_rates=exchange_rates(body.get("exchange_rates")),
        local_rates=text(body.get("local_rates"), "local_rates"),
    )


def _lines(raw_lines: Any) -> tuple[Line, ...]:
    if raw_lines is None:
        raise fail("MISSING_FIELD", "lines is required", "lines")
    if not isinstance(raw_lines, list):
        raise fail("INVALID_FIELD", "lines must be a list", "lines")
    lines = tuple(line(item, i) for i, item in enumerate(raw_lines))
    seen: set[str] = set()
    for i, item in enumerate(lines):
        if item.id in seen:
            raise fail("INVALID_FIELD", f"duplicate line id {item.id!r}", f"lines[{i}].id")
        seen.add(item.id)
    return lines
