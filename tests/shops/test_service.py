"""Shop service against a real database (SQLite by default, PostgreSQL with TAXRECON_TEST_DATABASE_URL)."""

from __future__ import annotations

import uuid

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from app.auth import Principal
from app.db import Database
from app.errors import ConfigurationError, Conflict, InvalidInput, NotFound
from app.security import SecretBox
from app.shops.models import Shop
from app.shops.service import (
    create_shop,
    get_shop_by_domain,
    get_visible_shop,
    list_shops,
    mark_needs_reauth,
    rotate_shop_secrets,
    set_shop_credentials,
    shop_access_token,
    shop_webhook_secret,
)

PROFILE = {
    "established": "CN",
    "registrations": [{"scheme": "IOSS", "number": "IM2760000013"}, {"scheme": "OSS_UNION", "country": "DE"}],
    "digital_auto_fulfill": True,
}


@pytest.fixture
def box() -> SecretBox:
    return SecretBox.from_key_material(Fernet.generate_key().decode())


def principal(*shop_ids: uuid.UUID, all_shops: bool = False, role: str = "finance") -> Principal:
    return Principal(api_key_id=uuid.uuid4(), role=role, all_shops=all_shops, shop_ids=frozenset(shop_ids))


async def test_create_shop_stores_validated_fields_and_encrypted_secrets(db: Database, box: SecretBox) -> None:
    async with db.unit_of_work() as session:
        shop = await create_shop(session, box=box, domain="https://Acme.myshopify.com/admin",
                                 access_token="shpat_secret_token_1", webhook_secret="whsec-value-1",
                                 api_url="http://127.0.0.1:8001/", currency="eur", timezone="Europe/Berlin",
                                 tax_profile=PROFILE, name=" Acme GmbH ")
        shop_id = shop.id
    async with db.unit_of_work() as session:
        stored = await session.get(Shop, shop_id)
        assert stored is not None
        assert (stored.domain, stored.name, stored.currency, stored.timezone, stored.api_url) == (
            "acme.myshopify.com", "Acme GmbH", "EUR", "Europe/Berlin", "http://127.0.0.1:8001")
        assert stored.admin_api_base == "http://127.0.0.1:8001"
        assert stored.tax_profile == {
            "established": "CN",
            "registrations": [{"scheme": "IOSS", "number": "IM2760000013"},
                              {"scheme": "OSS_UNION", "country": "DE"}],
            "digital_auto_fulfill": True,
        }
        assert stored.needs_reauth is False
        assert "shpat_secret_token_1" not in (stored.access_token_encrypted or "")
        assert "whsec-value-1" not in (stored.webhook_secret_encrypted or "")
        assert shop_access_token(stored, box) == "shpat_secret_token_1"
        assert shop_webhook_secret(stored, box) == "whsec-value-1"


async def test_defaults_and_missing_secrets(db: Database, box: SecretBox) -> None:
    async with db.unit_of_work() as session:
        shop = await create_shop(session, box=box, domain="plain.myshopify.com")
    assert (shop.currency, shop.timezone, shop.tax_profile, shop.api_url) == ("USD", "UTC", {}, None)
    assert shop.admin_api_base == "https://plain.myshopify.com"
    assert shop_access_token(shop, box) is None
    assert shop_webhook_secret(shop, box) is None


async def test_duplicate_domain_is_a_conflict_and_nothing_is_written(db: Database, box: SecretBox) -> None:
    async with db.unit_of_work() as session:
        await create_shop(session, box=box, domain="dup.myshopify.com")
    with pytest.raises(Conflict, match=r"^shop dup.myshopify.com already exists$"):
        async with db.unit_of_work() as session:
            await create_shop(session, box=box, domain="DUP.myshopify.com")
    async with db.unit_of_work() as session:
        assert len((await session.scalars(select(Shop))).all()) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"currency": "EURO"}, "currency must be a three-letter ISO 4217 code such as 'EUR', got 'EURO'"),
        ({"currency": "ABC"}, "'ABC' is not an ISO 4217 currency code"),
        ({"currency": "XAU"}, "'XAU' is not an ISO 4217 currency code"),
        ({"timezone": "Mars/Olympus"}, "unknown timezone 'Mars/Olympus'; use an IANA name such as 'Europe/Berlin'"),
        ({"timezone": "europe/berlin"}, "unknown timezone 'europe/berlin'"),
        ({"timezone": "../../etc/passwd"}, "unknown timezone '../../etc/passwd'"),
        ({"api_url": "ftp://x"}, "api URL 'ftp://x' must be an http(s) URL"),
        ({"api_url": "https://u:p@x.test"}, "api URL must not contain credentials"),
        ({"access_token": "  "}, "access token is empty"),
        ({"webhook_secret": ""}, "webhook secret is empty"),
        ({"tax_profile": {"registrations": []}}, "tax profile: 'established' (the seller's country, e.g. 'CN') is required"),
        ({"domain": "acme.com"}, "'acme.com' is not a myshopify.com domain"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_written(db: Database, box: SecretBox, kwargs: dict,
                                                          message: str) -> None:
    arguments = {"domain": "good.myshopify.com", **kwargs}
    with pytest.raises(InvalidInput) as info:
        async with db.unit_of_work() as session:
            await create_shop(session, box=box, **arguments)
    assert info.value.message.startswith(message)
    async with db.unit_of_work() as session:
        assert (await session.scalars(select(Shop))).all() == []


async def test_get_shop_by_domain_normalises_and_tolerates_junk(db: Database, box: SecretBox) -> None:
    async with db.unit_of_work() as session:
        created = await create_shop(session, box=box, domain="find-me.myshopify.com")
    async with db.unit_of_work() as session:
        assert (await get_shop_by_domain(session, "Find-Me.myshopify.com")).id == created.id  # type: ignore[union-attr]
        assert await get_shop_by_domain(session, "other.myshopify.com") is None
        assert await get_shop_by_domain(session, "not a domain") is None


async def test_tenancy_list_and_visible_shop(db: Database, box: SecretBox) -> None:
    async with db.unit_of_work() as session:
        a = await create_shop(session, box=box, domain="a-shop.myshopify.com")
        b = await create_shop(session, box=box, domain="b-shop.myshopify.com")
    async with db.unit_of_work() as session:
        assert [s.domain for s in await list_shops(session, principal(all_shops=True, role="admin"))] == [
            "a-shop.myshopify.com", "b-shop.myshopify.com"]
        assert [s.domain for s in await list_shops(session, principal(b.id))] == ["b-shop.myshopify.com"]
        assert await list_shops(session, principal()) == []
        assert (await get_visible_shop(session, principal(a.id), "a-shop.myshopify.com")).id == a.id
        with pytest.raises(NotFound, match=r"^shop b-shop.myshopify.com not found$"):
            await get_visible_shop(session, principal(a.id), "b-shop.myshopify.com")
        with pytest.raises(NotFound, match=r"^shop nobody.myshopify.com not found$"):
            await get_visible_shop(session, principal(all_shops=True), "nobody.myshopify.com")


async def test_mark_needs_reauth_redacts_and_new_token_clears(db: Database, box: SecretBox) -> None:
    async with db.unit_of_work() as session:
        shop = await create_shop(session, box=box, domain="reauth.myshopify.com", access_token="shpat_old1")
        await mark_needs_reauth(session, shop, "401 from Shopify with token shpat_old1")
    async with db.unit_of_work() as session:
        stored = await session.get(Shop, shop.id)
        assert stored is not None and stored.needs_reauth is True
        assert stored.reauth_reason == "401 from Shopify with token shpa…[redacted]"
        await set_shop_credentials(session, stored, box, access_token="shpat_new2")
    async with db.unit_of_work() as session:
        stored = await session.get(Shop, shop.id)
        assert stored is not None
        assert (stored.needs_reauth, stored.reauth_reason) == (False, None)
        assert shop_access_token(stored, box) == "shpat_new2"


async def test_key_rotation_re_encrypts_and_old_key_can_then_be_dropped(db: Database) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    async with db.unit_of_work() as session:
        shop = await create_shop(session, box=SecretBox.from_key_material(old), domain="rot.myshopify.com",
                                 access_token="shpat_rot", webhook_secret="hook-rot")
    async with db.unit_of_work() as session:
        assert await rotate_shop_secrets(session, SecretBox.from_key_material(f"{new},{old}")) == 1
    new_only = SecretBox.from_key_material(new)
    async with db.unit_of_work() as session:
        stored = await session.get(Shop, shop.id)
        assert stored is not None
        assert (shop_access_token(stored, new_only), shop_webhook_secret(stored, new_only)) == ("shpat_rot", "hook-rot")
        unrelated = SecretBox.from_key_material(Fernet.generate_key().decode())
        with pytest.raises(ConfigurationError, match="cannot be decrypted"):
            shop_access_token(stored, unrelated)
