"""Shop domains: the tenant's identity, normalised to `<name>.myshopify.com`.

Accepted input is forgiving about packaging (surrounding whitespace, a scheme, a path, upper case) and strict about
the domain itself: exactly one DNS label before `.myshopify.com`, made of a-z, 0-9 and hyphens, not starting or
ending with a hyphen. A custom storefront domain (`shop.example.com`) is refused: Shopify's Admin API, webhooks and
OAuth all use the permanent myshopify domain.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from app.errors import InvalidInput

SUFFIX = ".myshopify.com"
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def _strip_packaging(value: str) -> str:
    """The host part of a pasted domain or URL (scheme and path removed); InvalidInput for ports or credentials."""
    text = value.strip()
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme.lower() not in ("http", "https"):
            raise InvalidInput(f"shop domain {value.strip()!r} has an unexpected scheme; use <name>.myshopify.com",
                               field="domain")
        text = parts.netloc
    else:
        text = re.split(r"[/?#]", text, maxsplit=1)[0]
    if "@" in text:
        raise InvalidInput("a shop domain must not contain credentials ('@')", field="domain")
    if ":" in text:
        raise InvalidInput(f"shop domain {text!r} must not have a port; use <name>.myshopify.com", field="domain")
    return text


def normalise_shop_domain(value: str) -> tuple[str, list[str]]:
    """`(domain, warnings)` for a shop domain; InvalidInput with a specific reason when it is not `*.myshopify.com`."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("shop domain is empty; expected <name>.myshopify.com", field="domain")
    host = _strip_packaging(value)
    if not host:
        raise InvalidInput(f"no shop domain found in {value.strip()!r}; expected <name>.myshopify.com", field="domain")
    if not host.isascii():
        raise InvalidInput(f"shop domain {host!r} contains non-ASCII characters; expected <name>.myshopify.com",
                           field="domain")
    domain = host.lower()
    warnings = [f"shop domain {host!r} was lower-cased to {domain!r}"] if domain != host else []
    if not domain.endswith(SUFFIX):
        raise InvalidInput(f"{domain!r} is not a myshopify.com domain; expected <name>.myshopify.com "
                           "(the permanent domain, not a custom storefront domain)", field="domain")
    name = domain[: -len(SUFFIX)]
    if not name:
        raise InvalidInput("shop domain has no shop name before .myshopify.com", field="domain")
    if "." in name:
        raise InvalidInput(f"{domain!r} has more than one label before .myshopify.com; expected <name>.myshopify.com",
                           field="domain")
    if not _LABEL.fullmatch(name):
        raise InvalidInput(f"shop name {name!r} in {domain!r} may only hold a-z, 0-9 and inner hyphens "
                           "(1-63 characters)", field="domain")
    return domain, warnings
