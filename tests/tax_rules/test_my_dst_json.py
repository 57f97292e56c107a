"""A JSON request can say the seller holds Malaysia's digital-services registration (MY_DST)."""

from __future__ import annotations

import tax_rules


def _request(registrations: list[dict]) -> dict:  # type: ignore[type-arg]
    return {"date": "2026-03-01", "currency": "MYR", "ship_from": {"country": "CN"}, "ship_to": {"country": "MY"},
            "seller": {"established": "CN", "registrations": registrations},
            "lines": [{"id": "1", "category": "digital", "unit_price": "100.00", "quantity": 1,
                       "requires_shipping": False}]}


def test_registered_digital_seller_charges_without_a_registration_warning() -> None:
    quote = tax_rules.quote_from_json(_request([{"scheme": "MY_DST"}]))
    assert (quote["lines"][0]["rate"], quote["tax_total"]) == ("8", "8.00")
    assert not any("MY_DST" in w for w in quote["warnings"])


def test_unregistered_digital_seller_is_warned() -> None:
    quote = tax_rules.quote_from_json(_request([]))
    assert quote["tax_total"] == "8.00"
    assert any("MY_DST" in w for w in quote["warnings"])
