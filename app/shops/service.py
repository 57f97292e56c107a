"""Shops (tenants): creation with validated settings, look-up, credentials and binding state.

Services never commit: callers run them inside `Database.unit_of_work()`. Shopify credentials are encrypted with the
`SecretBox` before they touch the session and are decrypted only on demand (`shop_access_token`,
`shop_webhook_secret`); neither the plaintext nor the ciphertext is ever put into a message or a log.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, InvalidInput, NotFound
from app.logging import redact
from app.money import validate_currency
from app.security import SecretBox
from app.shops.domains import normalise_shop_domain
from app.shops.models import Shop
from app.shops.profile import validate_tax_profile

if TYPE_CHECKING:
    from app.auth import Principal

log = logging.getLogger(__name__)

__all__ = [
    "create_shop", "get_shop_by_domain", "get_visible_shop", "list_shops", "mark_needs_reauth", "normalise_shop_domain",
    "rotate_shop_secrets", "set_shop_credentials", "shop_access_token", "shop_webhook_secret", "validate_api_url",
    "validate_timezone",
]


def validate_timezone(value: str) -> str:
    """An IANA time zone name known to zoneinfo (e.g. 'Europe/Berlin'); InvalidInput otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("timezone is empty; use an IANA name such as 'Europe/Berlin'", field="timezone")
    name = value.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(f"unknown timezone {name!r}; use an IANA name such as 'Europe/Berlin' (case matters)",
                           field="timezone") from None
    return name


def validate_api_url(value: str | None) -> str | None:
    """The shop's Admin API base (`https://host[:port][/prefix]`, no trailing slash), or None for the default."""
    if value is None:
        return None
    text = value.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"api URL {text!r} must be an http(s) URL such as https://shop.myshopify.com",
                           field="api_url")
    if parts.username or parts.password:
        raise InvalidInput("api URL must not contain credentials", field="api_url")
    if parts.query or parts.fragment:
        raise InvalidInput("api URL must not have a query or fragment", field="api_url")
    return text


def _secret_text(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{what} is empty", field=what.replace(" ", "_"))
    return value.strip()


async def get_shop_by_domain(session: AsyncSession, domain: str) -> Shop | None:
    """The shop with this domain (normalised first), or None; a malformed domain is simply not a known shop."""
    try:
        normalised, _ = normalise_shop_domain(domain)
    except InvalidInput:
        return None
    return await session.scalar(select(Shop).where(Shop.domain == normalised))


async def create_shop(
    session: AsyncSession,
    *,
    box: SecretBox,
    domain: str,
    access_token: str | None = None,
    webhook_secret: str | None = None,
    api_url: str | None = None,
    currency: str = "USD",
    timezone: str = "UTC",
    tax_profile: dict[str, Any] | None = None,
    name: str | None = None,
) -> Shop:
    """Validate everything, then add the shop (flushed, not committed). Conflict if the domain exists.

    Normalisation warnings (a lower-cased domain) are for the person who typed the domain: a caller that shows them
    gets them from `normalise_shop_domain(domain)` (the CLI prints them on stderr); here they are only debug-logged.
    """
    normalised, warnings = normalise_shop_domain(domain)
    shop = Shop(
        id=uuid.uuid4(),
        domain=normalised,
        name=name.strip() if name and name.strip() else None,
        currency=validate_currency(currency),
        timezone=validate_timezone(timezone),
        api_url=validate_api_url(api_url),
        tax_profile=validate_tax_profile(tax_profile) if tax_profile is not None else {},
        granted_scopes=[],
        needs_reauth=False,
    )
    token = _secret_text(access_token, "access token")
    secret = _secret_text(webhook_secret, "webhook secret")
    shop.access_token_encrypted = box.encrypt(token) if token is not None else None
    shop.webhook_secret_encrypted = box.encrypt(secret) if secret is not None else None
    if await session.scalar(select(Shop.id).where(Shop.domain == normalised)) is not None:
        raise Conflict(f"shop {normalised} already exists", field="domain")
    session.add(shop)
    try:
        await session.flush()
    except IntegrityError:  # a concurrent insert won the race; the caller's unit of work rolls back
        raise Conflict(f"shop {normalised} already exists", field="domain") from None
    for warning in warnings:
        log.debug("%s", warning)
    return shop


def shop_access_token(shop: Shop, box: SecretBox) -> str | None:
    """The decrypted Admin API access token, or None when the shop has none."""
    return box.decrypt(shop.access_token_encrypted) if shop.access_token_encrypted else None


def shop_webhook_secret(shop: Shop, box: SecretBox) -> str | None:
    """The decrypted webhook signing secret (the app's client secret), or None when the shop has none."""
    return box.decrypt(shop.webhook_secret_encrypted) if shop.webhook_secret_encrypted else None


async def set_shop_credentials(
    session: AsyncSession, shop: Shop, box: SecretBox, *, access_token: str | None = None,
    webhook_secret: str | None = None,
) -> None:
    """Replace the given credentials (others untouched); a new access token clears `needs_reauth`."""
    token = _secret_text(access_token, "access token")
    secret = _secret_text(webhook_secret, "webhook secret")
    if token is not None:
        shop.access_token_encrypted = box.encrypt(token)
        shop.needs_reauth = False
        shop.reauth_reason = None
    if secret is not None:
        shop.webhook_secret_encrypted = box.encrypt(secret)
    await session.flush()


async def rotate_shop_secrets(session: AsyncSession, box: SecretBox) -> int:
    """Re-encrypt every shop's secrets with the first (newest) key; returns the number of shops touched."""
    shops = (await session.scalars(select(Shop))).all()
    for shop in shops:
        if shop.access_token_encrypted:
            shop.access_token_encrypted = box.rotate(shop.access_token_encrypted)
        if shop.webhook_secret_encrypted:
            shop.webhook_secret_encrypted = box.rotate(shop.webhook_secret_encrypted)
    await session.flush()
    return len(shops)


async def mark_needs_reauth(session: AsyncSession, shop: Shop, reason: str) -> None:
    """Flag the binding as needing a new token (401 from Shopify, app uninstalled); the reason is stored redacted."""
    shop.needs_reauth = True
    shop.reauth_reason = redact(reason)[:1000]
    await session.flush()
    log.warning("shop %s needs re-authorisation: %s", shop.domain, shop.reauth_reason)


async def list_shops(session: AsyncSession, principal: Principal) -> list[Shop]:
    """The shops the caller may see, ordered by domain."""
    query = select(Shop).order_by(Shop.domain)
    if not principal.all_shops:
        if not principal.shop_ids:
            return []
        query = query.where(Shop.id.in_(principal.shop_ids))
    return list((await session.scalars(query)).all())


async def get_visible_shop(session: AsyncSession, principal: Principal, domain: str) -> Shop:
    """The named shop if the caller may see it; NotFound otherwise (another tenant's shop is not revealed)."""
    shop = await get_shop_by_domain(session, domain)
    if shop is None or not principal.can_see(shop.id):
        raise NotFound(f"shop {str(domain).strip()} not found", field="shop")
    return shop
