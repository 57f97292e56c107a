"""Keyword-only builders for tax quote requests (contract JSON dicts)."""

from __future__ import annotations

from typing import Any


def line(*, id: str = "1", hs_code: str | None = "610910", unit_price: str = "50.00", quantity: int = 1,
         **extra: Any) -> dict[str, Any]:
    return {"id": id, "hs_code": hs_code, "unit_price": unit_price, "quantity": quantity, **extra}


def request(*, date: str = "2026-03-01", currency: str = "EUR", ship_from: str = "CN", ship_to: str = "DE",
            postal_code: str | None = "10115", from_postal_code: str | None = None, established: str = "CN",
            registrations: list[dict[str, Any]] | None = None, lines: list[dict[str, Any]] | None = None,
            shipping: str = "0.00", separately_stated: bool = True, inclusive: bool = False,
            customer: dict[str, Any] | None = None, turnover: tuple[str, str] | None = None,
            rounding: str = "line", exchange_rates: dict[str, str] | None = None) -> dict[str, Any]:
    seller: dict[str, Any] = {"established": established, "registrations": registrations or []}
    if turnover is not None:
        seller["eu_b2c_cross_border_turnover_eur"] = {"previous_year": turnover[0], "current_year": turnover[1]}
    body: dict[str, Any] = {
        "date": date, "currency": currency, "prices_include_tax": inclusive, "rounding": rounding,
        "ship_from": {"country": ship_from, "postal_code": from_postal_code},
        "ship_to": {"country": ship_to, "postal_code": postal_code},
        "customer": customer or {"type": "B2C", "vat_id": None},
        "seller": seller,
        "lines": lines if lines is not None else [line()],
        "shipping": {"amount": shipping, "separately_stated": separately_stated},
    }
    if exchange_rates:
        body["exchange_rates"] = exchange_rates
    return body


IOSS_DE = {"scheme": "IOSS", "number": "IM2760000013"}
