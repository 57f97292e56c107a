"""Personal data in the canonical records: report it (data request) and erase it (redaction), keep the books.

What counts as personal here: the customer's Shopify id, e-mail, phone, names and street lines of the addresses,
the order note and custom attributes, line-item properties (engraving texts and the like) and return notes.
What redaction keeps: amounts, taxes, dates, statuses, SKUs, and the tax facts of the addresses (country, province,
ZIP) plus the customer's tax id — tax law obliges the seller to keep the evidence of where and to whom a supply was
taxed (GDPR Art. 17(3)(b): erasure does not cover data kept to comply with a legal obligation).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.commerce.models import LineItem, Order, Return, ReturnLine
from app.db import utcnow

KEPT_ADDRESS_KEYS = ("country_code", "country", "province_code", "province", "zip")
PERSONAL_ORDER_FIELDS = ("customer_gid", "email", "phone", "shipping_address", "billing_address", "note",
                         "custom_attributes", "customer_tax_id")  # reported; the tax id is kept on redaction


def tax_facts_of(address: dict[str, Any] | None) -> dict[str, Any] | None:
    if not address:
        return address
    return {key: address[key] for key in KEPT_ADDRESS_KEYS if address.get(key) is not None}


def _matching(shop_id: uuid.UUID, customer_gid: str | None, email: str | None, order_gids: Sequence[str]) -> Any:
    conditions = []
    if customer_gid:
        conditions.append(Order.customer_gid == customer_gid)
    if email:
        conditions.append(Order.email == email)
    if order_gids:
        conditions.append(Order.shopify_id.in_(list(order_gids)))
    if not conditions:
        return None
    return select(Order).where(Order.shop_id == shop_id, Order.redacted_at.is_(None), or_(*conditions))


async def customer_data_report(session: AsyncSession, shop_id: uuid.UUID, *, customer_gid: str | None,
                               email: str | None, order_gids: Sequence[str]) -> dict[str, Any]:
    """What we hold about one customer: per order, which personal fields are filled (not their values)."""
    query = _matching(shop_id, customer_gid, email, order_gids)
    orders = list((await session.execute(query)).scalars()) if query is not None else []
    found = []
    for order in orders:
        held = [name for name in PERSONAL_ORDER_FIELDS if getattr(order, name)]
        found.append({"order": order.shopify_id, "name": order.name, "created_at":
                      order.shopify_created_at.isoformat() if order.shopify_created_at else None,
                      "personal_fields": held})
    return {"orders": found, "order_count": len(found),
            "kept_for_tax_law": ["address country/province/ZIP", "customer tax id", "amounts and taxes"]}


async def redact_orders(session: AsyncSession, shop_id: uuid.UUID, orders: Sequence[Order]) -> int:
    now = utcnow()
    order_ids = [order.id for order in orders]
    for order in orders:
        await session.execute(update(Order.__table__).where(Order.__table__.c.id == order.id).values(
            customer_gid=None, email=None, phone=None, note=None, custom_attributes=[],
            shipping_address=tax_facts_of(order.shipping_address),
            billing_address=tax_facts_of(order.billing_address), redacted_at=now))
    if order_ids:
        await session.execute(update(LineItem.__table__).where(LineItem.__table__.c.order_id.in_(order_ids))
                              .values(properties=[]))
        gids = [order.shopify_id for order in orders]
        return_ids = select(Return.id).where(Return.shop_id == shop_id, Return.order_gid.in_(gids))
        await session.execute(update(ReturnLine.__table__).where(ReturnLine.__table__.c.return_id.in_(return_ids))
                              .values(customer_note=None, reason_note=None))
    return len(order_ids)


async def redact_customer(session: AsyncSession, shop_id: uuid.UUID, *, customer_gid: str | None,
                          email: str | None, order_gids: Sequence[str]) -> dict[str, Any]:
    query = _matching(shop_id, customer_gid, email, order_gids)
    orders = list((await session.execute(query)).scalars()) if query is not None else []
    count = await redact_orders(session, shop_id, orders)
    return {"orders_redacted": count, "orders": [order.shopify_id for order in orders]}


async def redact_shop(session: AsyncSession, shop_id: uuid.UUID) -> dict[str, Any]:
    orders = list((await session.execute(
        select(Order).where(Order.shop_id == shop_id, Order.redacted_at.is_(None)))).scalars())
    return {"orders_redacted": await redact_orders(session, shop_id, orders)}
