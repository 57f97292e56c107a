"""Driver inserts (`app.commerce.inserts`) store exactly what SQLAlchemy Core inserts store, on every backend."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from app.commerce import models as cm
from app.commerce.inserts import _plan, insert_rows
from tests.commerce.support import add_shop


def _row(shop_id: uuid.UUID, shopify_id: str, now: datetime) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(), "shop_id": shop_id, "shopify_id": shopify_id, "source_updated_at": now,
        "content_hash": "0" * 64, "revision": 2, "created_at": now, "updated_at": now, "validation_issues": [],
        "tags": ["vip", "Zürich"], "custom_attributes": [["k", "v"]], "payment_gateway_names": [], "test": False,
        "taxes_included": True, "tax_exempt": None, "processed_at": now - timedelta(days=1, microseconds=7),
        "cancelled_at": None, "shipping_address": None, "billing_address": {"city": "Zürich", "zip": "8001"},
        "total_price_minor": 12345, "total_price_pres_minor": None, "note": "", "currency": "CHF",
    }


async def test_driver_inserts_store_exactly_what_core_inserts_store(db, settings) -> None:
    shop_id = await add_shop(db, settings, "inserts.myshopify.com")
    table = cm.Order.__table__
    now = datetime.now(UTC)
    core, driver = _row(shop_id, "gid://shopify/Order/1", now), _row(shop_id, "gid://shopify/Order/2", now)
    driver.update(tags=("vip", "Zürich"), custom_attributes=(("k", "v"),), validation_issues=())  # rows use tuples
    async with db.unit_of_work() as session:
        connection = await session.connection()
        assert _plan(connection.dialect, table, tuple(driver)) is not None  # the driver path, not the fallback
        await session.execute(insert(table), [core])
        await insert_rows(session, table, [driver])
    async with db.sessionmaker() as session:
        connection = await session.connection()
        result = await connection.exec_driver_sql(f"SELECT * FROM {table.name} ORDER BY shopify_id")
        names = list(result.keys())
        stored = [dict(zip(names, row, strict=True)) for row in result.all()]
    for row in stored:
        row.pop("id"), row.pop("shopify_id")
    assert stored[0] == stored[1]
