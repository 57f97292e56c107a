"""A webhook cannot carry a line's HS code, origin or cost (Shopify's REST order has no inventory item), and those
are tax inputs. So an order webhook replaces the stored lines but keeps what a GraphQL read stored for them, and a
GraphQL read of the same version wins over the webhook. (Before, every orders/updated webhook erased them.)"""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select

import app.shopify.tasks  # noqa: F401  (registers the jobs)
from app.commerce.models import LineItem, Order
from app.security import SecretBox
from app.shopify.sandbox import generate_store
from app.shopify.sandbox.rest import body_for
from app.shopify.tasks import start_sync
from app.shops.models import Shop
from app.shops.service import create_shop
from tests.commerce.support import SECRET, client, deliver, ingest_pending, intake_app
from tests.shopify.test_sync_support import SANDBOX_BASE, _isolated_connector, run_jobs, sandbox_app, use_sandbox

__all__ = ["_isolated_connector"]
DOMAIN = "facts.myshopify.com"


async def _shop(db, settings, store) -> uuid.UUID:
    async with db.unit_of_work() as session:
        shop = await create_shop(session, box=SecretBox.from_settings(settings), domain=DOMAIN,
                                 access_token=next(iter(store.tokens)), webhook_secret=SECRET, api_url=SANDBOX_BASE)
        return shop.id


async def _sync(db, settings, shop_id) -> None:
    async with db.unit_of_work() as session:
        start_sync(session, await session.get(Shop, shop_id))
    await run_jobs(db, settings)


async def _webhook(db, settings, shop_id, order: dict, event_id: str) -> list[str]:
    body = json.loads(json.dumps(body_for("orders/updated", order), default=str))
    async with client(intake_app(settings, db)) as http:
        assert (await deliver(http, DOMAIN, "orders/updated", body, event_id)).status_code == 200
    return await ingest_pending(db, shop_id)


async def _facts(db, shop_id, order_gid: str) -> list[tuple]:
    async with db.sessionmaker() as session:
        order_id = (await session.execute(select(Order.id).where(Order.shop_id == shop_id,
                                                                 Order.shopify_id == order_gid))).scalar_one()
        rows = (await session.execute(select(LineItem.shopify_id, LineItem.hs_code, LineItem.country_of_origin,
                                             LineItem.unit_cost_minor, LineItem.country_hs_codes)
                                      .where(LineItem.order_id == order_id).order_by(LineItem.position))).all()
    return [tuple(row) for row in rows]


def _with_hs_codes(store) -> int:
    return next(index for index in range(store.profile.order_count)
                if any((line.get("variant") or {}).get("inventoryItem", {}).get("harmonizedSystemCode")
                       for line in store.order(index)["lineItems"]))


async def test_an_order_webhook_after_a_sync_keeps_the_lines_inventory_facts(db, settings) -> None:
    store = generate_store(seed=95, orders=12, plan="plus")
    use_sandbox(sandbox_app(store))
    shop_id = await _shop(db, settings, store)
    await _sync(db, settings, shop_id)
    index = _with_hs_codes(store)
    gid = store.order(index)["id"]
    synced = await _facts(db, shop_id, gid)
    assert any(hs_code for _, hs_code, *_ in synced)

    changed = store.change_order(index, lambda order, at: order.__setitem__("note", "gift wrap"), [])
    assert await _webhook(db, settings, shop_id, changed, "newer") == ["order applied"]
    async with db.sessionmaker() as session:
        note = (await session.execute(select(Order.note).where(Order.shopify_id == gid))).scalar_one()
    assert note == "gift wrap"  # the webhook's newer version was applied…
    assert await _facts(db, shop_id, gid) == synced  # …and its lines kept what the sync knew


async def test_a_sync_of_the_webhooks_version_fills_the_facts_in_and_then_wins(db, settings) -> None:
    store = generate_store(seed=96, orders=12, plan="plus")
    use_sandbox(sandbox_app(store))
    shop_id = await _shop(db, settings, store)
    index = _with_hs_codes(store)
    gid = store.order(index)["id"]
    assert await _webhook(db, settings, shop_id, store.order(index), "first") == ["order applied"]
    assert not any(hs_code for _, hs_code, *_ in await _facts(db, shop_id, gid))  # a webhook cannot know them

    await _sync(db, settings, shop_id)  # the same version, read through GraphQL
    filled = await _facts(db, shop_id, gid)
    assert any(hs_code for _, hs_code, *_ in filled)
    assert await _webhook(db, settings, shop_id, store.order(index), "again") == ["order unchanged"]
    assert await _facts(db, shop_id, gid) == filled
