"""Binding health against the sandbox: a good setup passes; a read-only token, missing webhooks, a wrong domain and
an auto-fulfil setting that contradicts behaviour each fail their own check."""

from __future__ import annotations

import app.shopify.tasks  # noqa: F401
from app.shopify.binding import check_binding
from app.shopify.sandbox import generate_store
from app.shopify.sandbox.factory import DEFAULT_READ_ONLY_TOKEN
from app.shopify.sync import webhook_url
from app.shopify.tasks import start_sync
from app.shops.models import Shop
from tests.shopify.test_sync_support import _isolated_connector, bind_shop, run_jobs, sandbox_app, use_sandbox

__all__ = ["_isolated_connector"]
PROFILE = {"established": "DE", "digital_auto_fulfill": False}


async def _report(db, settings, bound):
    async with db.sessionmaker() as session:
        shop = await session.get(Shop, bound.shop_id)
    report = await check_binding(settings, shop, bound.box)
    return report, {c.name: c for c in report.checks}


async def _subscribe(db, settings, bound) -> None:
    async with db.unit_of_work() as session:
        start_sync(session, await session.get(Shop, bound.shop_id))
    await run_jobs(db, settings)


async def test_good_setup_passes_and_each_fault_fails_its_own_check(db, settings) -> None:
    store = generate_store(seed=41, orders=30, plan="plus", auto_fulfill="GIFT_CARDS")
    app = sandbox_app(store)
    use_sandbox(app)
    bound = await bind_shop(db, settings, store, app, tax_profile=PROFILE)
    report, checks = await _report(db, settings, bound)
    assert not checks["webhooks"].ok and "ORDERS_CREATE" in checks["webhooks"].why
    await _subscribe(db, settings, bound)
    report, checks = await _report(db, settings, bound)
    assert report.ok, [(c.name, c.why) for c in report.checks if not c.ok]
    assert set(checks) == {"token", "api_version", "shop_domain", "read_scopes", "write_scopes", "webhooks",
                           "digital_auto_fulfill"}

    for key in [k for k, s in store.subscriptions.items() if s["topic"] == "FULFILLMENTS_UPDATE"]:
        del store.subscriptions[key]
    report, checks = await _report(db, settings, bound)
    assert not checks["webhooks"].ok
    assert checks["webhooks"].why == f"no subscription delivering FULFILLMENTS_UPDATE to {webhook_url(settings)}"


async def test_read_only_token_wrong_domain_and_auto_fulfil_mismatch(db, settings) -> None:
    store = generate_store(seed=42, orders=30, plan="plus", auto_fulfill="ALL")
    app = sandbox_app(store)
    use_sandbox(app)
    bound = await bind_shop(db, settings, store, app, tax_profile=PROFILE, token=DEFAULT_READ_ONLY_TOKEN,
                            domain="another-shop.myshopify.com")
    report, checks = await _report(db, settings, bound)
    assert not report.ok
    assert checks["token"].ok and checks["read_scopes"].ok
    assert not checks["write_scopes"].ok and checks["write_scopes"].why.startswith("read-only token: it can read "
                                                                                   "orders but cannot write")
    assert not checks["shop_domain"].ok
    assert checks["shop_domain"].why == f"the token belongs to {store.profile.domain}, not another-shop.myshopify.com"
    assert not checks["digital_auto_fulfill"].ok
    assert checks["digital_auto_fulfill"].why.startswith("declared false, but Shopify auto-fulfils digital lines")


async def test_revoked_token_fails_the_token_check(db, settings) -> None:
    store = generate_store(seed=43, orders=3, plan="plus")
    app = sandbox_app(store)
    use_sandbox(app)
    bound = await bind_shop(db, settings, store, app, token="shpat_revoked")
    report, checks = await _report(db, settings, bound)
    assert report.needs_reauth and not checks["token"].ok
    assert checks["token"].why == "Shopify rejected the token (401): it expired or was revoked"
