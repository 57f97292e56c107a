"""Shop domain normalisation: forgiving about packaging, strict about the domain."""

from __future__ import annotations

import pytest

from app.errors import InvalidInput
from app.shops.domains import normalise_shop_domain


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("acme.myshopify.com", "acme.myshopify.com"),
        ("  acme-store-2.myshopify.com\n", "acme-store-2.myshopify.com"),
        ("https://acme.myshopify.com", "acme.myshopify.com"),
        ("https://acme.myshopify.com/admin/orders?x=1", "acme.myshopify.com"),
        ("acme.myshopify.com/admin", "acme.myshopify.com"),
        ("http://acme.myshopify.com/", "acme.myshopify.com"),
        ("a.myshopify.com", "a.myshopify.com"),
        ("0shop.myshopify.com", "0shop.myshopify.com"),
    ],
)
def test_accepted_forms_without_warning(given: str, expected: str) -> None:
    assert normalise_shop_domain(given) == (expected, [])


def test_upper_case_is_lowered_with_a_warning() -> None:
    domain, warnings = normalise_shop_domain("https://Acme-Store.MyShopify.com/admin")
    assert domain == "acme-store.myshopify.com"
    assert warnings == ["shop domain 'Acme-Store.MyShopify.com' was lower-cased to 'acme-store.myshopify.com'"]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("", "shop domain is empty; expected <name>.myshopify.com"),
        ("   ", "shop domain is empty; expected <name>.myshopify.com"),
        ("acme.com", "'acme.com' is not a myshopify.com domain; expected <name>.myshopify.com "
                     "(the permanent domain, not a custom storefront domain)"),
        ("acme", "'acme' is not a myshopify.com domain"),
        ("acme.myshopify.com.evil.com", "'acme.myshopify.com.evil.com' is not a myshopify.com domain"),
        ("myshopify.com", "'myshopify.com' is not a myshopify.com domain"),
        (".myshopify.com", "shop domain has no shop name before .myshopify.com"),
        ("shop.acme.myshopify.com", "'shop.acme.myshopify.com' has more than one label before .myshopify.com"),
        ("-acme.myshopify.com", "shop name '-acme' in '-acme.myshopify.com' may only hold a-z, 0-9 and inner hyphens"),
        ("acme-.myshopify.com", "shop name 'acme-' in 'acme-.myshopify.com' may only hold"),
        ("ac_me.myshopify.com", "shop name 'ac_me' in 'ac_me.myshopify.com' may only hold"),
        ("a" * 64 + ".myshopify.com", "shop name '" + "a" * 64 + "'"),
        ("acmé.myshopify.com", "shop domain 'acmé.myshopify.com' contains non-ASCII characters"),
        ("acme.myshopify.com:443", "shop domain 'acme.myshopify.com:443' must not have a port"),
        ("https://user:pw@acme.myshopify.com", "a shop domain must not contain credentials ('@')"),
        ("ftp://acme.myshopify.com", "shop domain 'ftp://acme.myshopify.com' has an unexpected scheme"),
        ("https:///admin", "no shop domain found in 'https:///admin'"),
    ],
)
def test_rejected_with_a_specific_message(given: str, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        normalise_shop_domain(given)
    assert info.value.message.startswith(message)
    assert info.value.code == "INVALID_INPUT"
    assert info.value.field == "domain"
