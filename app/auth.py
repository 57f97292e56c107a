"""API keys and the caller (`Principal`).

A key looks like `trk_<43 URL-safe characters>` (32 random bytes from `secrets`). It is shown once, at creation; the
database keeps only its SHA-256 hash (a fast hash is enough: the key has 256 bits of entropy, so there is nothing to
brute-force) and its first 12 characters as a lookup prefix. Authentication looks up candidates by prefix and
compares hashes in constant time (`hmac.compare_digest`).

A key has one role (admin, finance, accountant, erp) and a set of shops; an admin key without shops sees every shop
(`all_shops`). Every resolver scopes its queries with `Principal.can_see` / `Principal.shop_ids`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from app.shops.domains import normalise_shop_domain
from app.shops.models import ROLES, ApiKey, Shop, api_key_shops

KEY_PREFIX = "trk_"
LOOKUP_PREFIX_LENGTH = 12
LAST_USED_RESOLUTION = timedelta(minutes=1)
_BAD_KEY = "invalid or revoked API key"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: which key, which role, which shops."""

    api_key_id: uuid.UUID
    role: str
    all_shops: bool
    shop_ids: frozenset[uuid.UUID]

    def can_see(self, shop_id: uuid.UUID) -> bool:
        return self.all_shops or shop_id in self.shop_ids

    def has_role(self, *roles: str) -> bool:
        return self.role in roles


def operator_principal() -> Principal:
    """The local operator (the `taxrecon` CLI), who holds the database and the secret key: an admin of every shop."""
    return Principal(api_key_id=uuid.UUID(int=0), role="admin", all_shops=True, shop_ids=frozenset())


def require_role(principal: Principal, *roles: str) -> None:
    """PermissionDenied unless the caller's role is one of `roles`."""
    if principal.role not in roles:
        needed = " or ".join(roles)
        raise PermissionDenied(f"this operation needs role {needed}; the API key has role {principal.role}")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _validate_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; use one of {', '.join(ROLES)}", field="role")
    return role


async def _shops_for(session: AsyncSession, domains: list[str]) -> list[Shop]:
    wanted = list(dict.fromkeys(normalise_shop_domain(d)[0] for d in domains))
    found = {s.domain: s for s in (await session.scalars(select(Shop).where(Shop.domain.in_(wanted)))).all()}
    missing = [d for d in wanted if d not in found]
    if missing:
        raise NotFound(f"unknown shop {missing[0]}; add it first with `taxrecon shops add`", field="shop")
    return [found[d] for d in wanted]


async def create_api_key(
    session: AsyncSession, *, role: str, shop_domains: list[str], name: str | None = None,
    all_shops: bool | None = None,
) -> tuple[ApiKey, str]:
    """A new key row (flushed) and the key itself, which is never stored and cannot be shown again.

    `all_shops` defaults to True for an admin key without shops; other roles must name shops or ask for all shops.
    """
    _validate_role(role)
    shops = await _shops_for(session, shop_domains)
    if all_shops is None:
        all_shops = role == "admin" and not shops
    if all_shops and shops:
        raise InvalidInput("give either shops or all shops, not both", field="shop")
    if not all_shops and not shops:
        raise InvalidInput(f"a {role} key needs at least one shop (--shop DOMAIN) or --all-shops", field="shop")
    key = generate_key()
    row = ApiKey(id=uuid.uuid4(), name=(name or "").strip() or None, prefix=key[:LOOKUP_PREFIX_LENGTH],
                 key_hash=hash_key(key), role=role, all_shops=all_shops)
    row.shops = shops
    session.add(row)
    await session.flush()
    return row, key


def _parse_authorization(header: str | None) -> str:
    if header is None or not header.strip():
        raise Unauthenticated("missing API key: send 'Authorization: Bearer <key>'")
    scheme, _, credential = header.strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise Unauthenticated("malformed Authorization header: expected 'Bearer <key>'")
    if not credential.startswith(KEY_PREFIX) or len(credential) <= LOOKUP_PREFIX_LENGTH or len(credential) > 200:
        raise Unauthenticated(_BAD_KEY)
    return credential


async def authenticate(session: AsyncSession, authorization_header: str | None) -> Principal:
    """The caller behind `Authorization: Bearer trk_…`; Unauthenticated (never saying why a key failed) otherwise.

    `last_used_at` is updated in the caller's transaction at most once a minute per key (cheap on hot paths).
    """
    key = _parse_authorization(authorization_header)
    digest = hash_key(key)
    candidates = (await session.execute(
        select(ApiKey.id, ApiKey.key_hash, ApiKey.role, ApiKey.all_shops, ApiKey.last_used_at)
        .where(ApiKey.prefix == key[:LOOKUP_PREFIX_LENGTH], ApiKey.revoked_at.is_(None))
    )).all()
    match = None
    for candidate in candidates:
        if hmac.compare_digest(candidate.key_hash, digest):
            match = candidate
    if match is None:
        raise Unauthenticated(_BAD_KEY)
    shop_ids = frozenset((await session.scalars(
        select(api_key_shops.c.shop_id).where(api_key_shops.c.api_key_id == match.id)
    )).all())
    await _touch(session, match.id, match.last_used_at)
    return Principal(api_key_id=match.id, role=match.role, all_shops=match.all_shops, shop_ids=shop_ids)


async def _touch(session: AsyncSession, key_id: uuid.UUID, last_used_at: datetime | None) -> None:
    now = utcnow()
    if last_used_at is not None and now - last_used_at < LAST_USED_RESOLUTION:
        return
    await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now)
                          .execution_options(synchronize_session=False))


async def list_api_keys(session: AsyncSession) -> list[ApiKey]:
    """Every key (revoked ones too) with its shops loaded, newest first."""
    query = select(ApiKey).options(selectinload(ApiKey.shops)).order_by(ApiKey.created_at.desc(), ApiKey.prefix)
    return list((await session.scalars(query)).all())


async def revoke_api_key(session: AsyncSession, prefix: str) -> ApiKey:
    """Revoke the active key whose lookup prefix (or id) is `prefix`, as `apikeys list` shows them."""
    prefix = prefix.strip()
    try:
        key_id = uuid.UUID(prefix)
    except ValueError:
        key_id = None
    if key_id is not None:
        row = await session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None)))
        if row is None:
            raise NotFound(f"no active API key with id {key_id}", field="prefix")
        return await _revoke(session, row)
    if len(prefix) != LOOKUP_PREFIX_LENGTH or not prefix.startswith(KEY_PREFIX):
        raise InvalidInput(f"a key prefix is the first {LOOKUP_PREFIX_LENGTH} characters of the key, "
                           "as `taxrecon apikeys list` shows it", field="prefix")
    rows = (await session.scalars(select(ApiKey).where(ApiKey.prefix == prefix, ApiKey.revoked_at.is_(None)))).all()
    if not rows:
        raise NotFound(f"no active API key with prefix {prefix}", field="prefix")
    if len(rows) > 1:
        raise Conflict(f"{len(rows)} active keys share prefix {prefix}; revoke by id instead", field="prefix")
    return await _revoke(session, rows[0])


async def _revoke(session: AsyncSession, row: ApiKey) -> ApiKey:
    row.revoked_at = utcnow()
    await session.flush()
    return row
