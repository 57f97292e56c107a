"""API keys: creation, hashing, authentication, revocation, roles and shop scope."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, update

from app.auth import (
    LAST_USED_RESOLUTION,
    Principal,
    authenticate,
    create_api_key,
    list_api_keys,
    require_role,
    revoke_api_key,
)
from app.db import Database, utcnow
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from app.security import SecretBox
from app.shops.models import ApiKey
from app.shops.service import create_shop

KEY_SHAPE = re.compile(r"trk_[A-Za-z0-9_-]{43}")


@pytest.fixture
async def shops(db: Database) -> dict[str, uuid.UUID]:
    box = SecretBox.from_key_material(Fernet.generate_key().decode())
    async with db.unit_of_work() as session:
        one = await create_shop(session, box=box, domain="one.myshopify.com")
        two = await create_shop(session, box=box, domain="two.myshopify.com")
    return {"one": one.id, "two": two.id}


async def _key(db: Database, role: str, domains: list[str], **kwargs: object) -> tuple[ApiKey, str]:
    async with db.unit_of_work() as session:
        return await create_api_key(session, role=role, shop_domains=domains, **kwargs)  # type: ignore[arg-type]


async def _auth(db: Database, header: str | None) -> Principal:
    async with db.unit_of_work() as session:
        return await authenticate(session, header)


async def test_key_is_stored_hashed_with_a_lookup_prefix(db: Database, shops: dict[str, uuid.UUID]) -> None:
    row, key = await _key(db, "finance", ["ONE.myshopify.com"], name="dashboard")
    assert KEY_SHAPE.fullmatch(key)
    async with db.unit_of_work() as session:
        stored = await session.get(ApiKey, row.id)
        assert stored is not None
        assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert stored.prefix == key[:12]
        assert (stored.role, stored.all_shops, stored.name) == ("finance", False, "dashboard")
        assert key not in repr(vars(stored))


async def test_authenticate_returns_the_scoped_principal(db: Database, shops: dict[str, uuid.UUID]) -> None:
    row, key = await _key(db, "accountant", ["one.myshopify.com"])
    principal = await _auth(db, f"Bearer {key}")
    assert principal == Principal(api_key_id=row.id, role="accountant", all_shops=False,
                                  shop_ids=frozenset({shops["one"]}))
    assert principal.can_see(shops["one"]) is True
    assert principal.can_see(shops["two"]) is False
    assert (await _auth(db, f"bearer   {key}  ")).api_key_id == row.id


async def test_admin_without_shops_sees_every_shop(db: Database, shops: dict[str, uuid.UUID]) -> None:
    _, key = await _key(db, "admin", [])
    principal = await _auth(db, f"Bearer {key}")
    assert (principal.all_shops, principal.shop_ids) == (True, frozenset())
    assert principal.can_see(shops["two"]) and principal.can_see(uuid.uuid4())


async def test_admin_with_shops_is_restricted_to_them(db: Database, shops: dict[str, uuid.UUID]) -> None:
    _, key = await _key(db, "admin", ["two.myshopify.com"])
    principal = await _auth(db, f"Bearer {key}")
    assert (principal.all_shops, principal.shop_ids) == (False, frozenset({shops["two"]}))


async def test_explicit_all_shops_for_another_role(db: Database, shops: dict[str, uuid.UUID]) -> None:
    _, key = await _key(db, "erp", [], all_shops=True)
    assert (await _auth(db, f"Bearer {key}")).all_shops is True


@pytest.mark.parametrize(
    ("role", "domains", "kwargs", "error", "message"),
    [
        ("owner", ["one.myshopify.com"], {}, InvalidInput, "unknown role 'owner'; use one of admin, finance, accountant, erp"),
        ("finance", [], {}, InvalidInput, "a finance key needs at least one shop (--shop DOMAIN) or --all-shops"),
        ("erp", ["nope.myshopify.com"], {}, NotFound, "unknown shop nope.myshopify.com; add it first"),
        ("erp", ["example.com"], {}, InvalidInput, "'example.com' is not a myshopify.com domain"),
        ("erp", ["one.myshopify.com"], {"all_shops": True}, InvalidInput, "give either shops or all shops, not both"),
    ],
)
async def test_bad_key_requests(db: Database, shops: dict[str, uuid.UUID], role: str, domains: list[str],
                                kwargs: dict, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        await _key(db, role, domains, **kwargs)
    assert str(info.value).startswith(message)
    async with db.unit_of_work() as session:
        assert (await session.scalars(select(ApiKey))).all() == []


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "missing API key: send 'Authorization: Bearer <key>'"),
        ("", "missing API key: send 'Authorization: Bearer <key>'"),
        ("Basic dXNlcjpwdw==", "malformed Authorization header: expected 'Bearer <key>'"),
        ("Bearer", "malformed Authorization header: expected 'Bearer <key>'"),
        ("Bearer shpat_abcdef0123456789", "invalid or revoked API key"),
        ("Bearer trk_short", "invalid or revoked API key"),
        ("Bearer trk_" + "A" * 43, "invalid or revoked API key"),
    ],
)
async def test_authentication_failures(db: Database, header: str | None, message: str) -> None:
    with pytest.raises(Unauthenticated) as info:
        await _auth(db, header)
    assert info.value.message == message
    assert info.value.http_status == 401


async def test_same_prefix_wrong_secret_is_refused(db: Database, shops: dict[str, uuid.UUID]) -> None:
    _, key = await _key(db, "erp", ["one.myshopify.com"])
    forged = key[:12] + ("A" if key[12] != "A" else "B") + key[13:]
    with pytest.raises(Unauthenticated, match="^invalid or revoked API key$"):
        await _auth(db, f"Bearer {forged}")


async def test_revoked_key_no_longer_authenticates(db: Database, shops: dict[str, uuid.UUID]) -> None:
    row, key = await _key(db, "erp", ["one.myshopify.com"])
    async with db.unit_of_work() as session:
        revoked = await revoke_api_key(session, key[:12])
    assert revoked.id == row.id and revoked.revoked_at is not None
    with pytest.raises(Unauthenticated, match="^invalid or revoked API key$"):
        await _auth(db, f"Bearer {key}")
    with pytest.raises(NotFound, match=f"^no active API key with prefix {re.escape(key[:12])}$"):
        async with db.unit_of_work() as session:
            await revoke_api_key(session, key[:12])


async def test_revoke_by_id_and_bad_prefixes(db: Database, shops: dict[str, uuid.UUID]) -> None:
    row, key = await _key(db, "erp", ["one.myshopify.com"])
    async with db.unit_of_work() as session:
        with pytest.raises(InvalidInput, match="^a key prefix is the first 12 characters of the key"):
            await revoke_api_key(session, key)  # the whole key is not a prefix, and is not echoed
        assert (await revoke_api_key(session, str(row.id))).revoked_at is not None


async def test_ambiguous_prefix_is_a_conflict(db: Database, shops: dict[str, uuid.UUID]) -> None:
    first, key = await _key(db, "erp", ["one.myshopify.com"])
    second, _ = await _key(db, "erp", ["one.myshopify.com"])
    async with db.unit_of_work() as session:
        await session.execute(update(ApiKey).where(ApiKey.id == second.id).values(prefix=key[:12]))
    with pytest.raises(Conflict, match="^2 active keys share prefix"):
        async with db.unit_of_work() as session:
            await revoke_api_key(session, key[:12])


async def test_last_used_at_is_recorded_at_most_once_a_minute(db: Database, shops: dict[str, uuid.UUID]) -> None:
    row, key = await _key(db, "erp", ["one.myshopify.com"])
    await _auth(db, f"Bearer {key}")
    async with db.unit_of_work() as session:
        first = (await session.get(ApiKey, row.id)).last_used_at  # type: ignore[union-attr]
    assert first is not None and utcnow() - first < timedelta(seconds=30)
    await _auth(db, f"Bearer {key}")
    async with db.unit_of_work() as session:
        assert (await session.get(ApiKey, row.id)).last_used_at == first  # type: ignore[union-attr]
        stale = first - LAST_USED_RESOLUTION - timedelta(seconds=1)
        await session.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=stale))
    await _auth(db, f"Bearer {key}")
    async with db.unit_of_work() as session:
        assert (await session.get(ApiKey, row.id)).last_used_at > first  # type: ignore[operator, union-attr]


async def test_list_api_keys_shows_shops_and_revocation(db: Database, shops: dict[str, uuid.UUID]) -> None:
    await _key(db, "admin", [], name="root")
    await _key(db, "finance", ["two.myshopify.com", "one.myshopify.com"], name="fin")
    async with db.unit_of_work() as session:
        keys = await list_api_keys(session)
    summary = sorted((k.name, k.role, k.all_shops, sorted(s.domain for s in k.shops)) for k in keys)
    assert summary == [("fin", "finance", False, ["one.myshopify.com", "two.myshopify.com"]),
                       ("root", "admin", True, [])]


def test_require_role() -> None:
    principal = Principal(api_key_id=uuid.uuid4(), role="erp", all_shops=False, shop_ids=frozenset())
    require_role(principal, "erp", "admin")
    with pytest.raises(PermissionDenied) as info:
        require_role(principal, "admin", "finance")
    assert info.value.message == "this operation needs role admin or finance; the API key has role erp"
    assert info.value.http_status == 403
