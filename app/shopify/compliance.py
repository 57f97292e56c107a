"""Shopify's mandatory privacy webhooks, handled as the GDPR/CCPA expect.

- `customers/data_request`: record what we hold about the customer (per order, which personal fields are filled) in
  a `ComplianceRequest` for the merchant to hand over; nothing is erased.
- `customers/redact`: erase that customer's personal data from the canonical orders (tax facts kept, see
  `app.commerce.privacy`) and from the stored raw webhook bodies that concern them; the request itself keeps only
  the customer's id, never the e-mail or phone it asked us to forget (and its own raw body is scrubbed too).
- `shop/redact` (48 h after uninstall): the same for every order and raw event of the shop; the shop's access
  token and the e-mails kept for earlier data requests are dropped.
A later redelivery of an order for a redacted customer is scrubbed before it is stored (`is_redacted`).
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.commerce import privacy
from app.db import utcnow
from app.shopify.events import ComplianceRequest, StoredEvent, WebhookEvent
from app.shopify.mapping.common import MappingError, gid, parse_body, rest_gid
from app.shops.models import Shop

DROP_KEYS = frozenset({"email", "contact_email", "phone", "browser_ip", "client_details", "note", "note_attributes",
                       "landing_site", "referring_site", "order_status_url", "token", "cart_token", "checkout_token",
                       "customer_note", "return_reason_note"})
ADDRESS_KEYS = frozenset({"shipping_address", "billing_address", "destination", "default_address", "origin_address"})


def scrub(value: Any) -> Any:
    """A webhook body with the personal data removed (ids, amounts, taxes and address tax facts kept)."""
    if isinstance(value, list):
        return [scrub(item) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key in DROP_KEYS:
            continue
        if key in ADDRESS_KEYS and isinstance(item, dict):
            out[key] = privacy.tax_facts_of(item)
        elif key == "customer" and isinstance(item, dict):
            out[key] = {k: item[k] for k in ("id", "admin_graphql_api_id") if k in item}
        elif key == "properties" and isinstance(item, list):
            out[key] = []
        else:
            out[key] = scrub(item)
    return out


def scrub_text(body: str) -> str:
    return json.dumps(scrub(parse_body(body)), default=lambda d: format(d, "f") if isinstance(d, Decimal) else str(d))


def _request_subject(body: dict[str, Any], listed: str) -> tuple[str | None, str | None, list[str]]:
    customer = body.get("customer") or {}
    try:
        customer_gid = rest_gid(customer, "Customer")
        orders = [g for g in (gid("Order", item) for item in body.get(listed) or ()) if g]
    except MappingError:
        customer_gid, orders = None, []
    return customer_gid, customer.get("email"), orders


async def _scrub_events(session: AsyncSession, shop_id: uuid.UUID, *conditions: Any) -> int:
    query = select(WebhookEvent.id, WebhookEvent.body).where(WebhookEvent.shop_id == shop_id,
                                                             WebhookEvent.redacted_at.is_(None))
    if conditions:
        query = query.where(or_(*conditions))
    count = 0
    now = utcnow()
    for event_id, body in (await session.execute(query)).all():
        await session.execute(update(WebhookEvent.__table__).where(WebhookEvent.__table__.c.id == event_id)
                              .values(body=scrub_text(body), redacted_at=now))
        count += 1
    return count


async def data_request(session: AsyncSession, event: StoredEvent, body: dict[str, Any]) -> str:
    customer_gid, email, orders = _request_subject(body, "orders_requested")
    report = await privacy.customer_data_report(session, event.shop_id, customer_gid=customer_gid, email=email,
                                                order_gids=orders)
    report["data_request_id"] = body.get("data_request", {}).get("id") if isinstance(body.get("data_request"),
                                                                                      dict) else None
    session.add(ComplianceRequest(shop_id=event.shop_id, webhook_event_id=event.id, kind="customers/data_request",
                                  customer_gid=customer_gid, customer_email=email, order_gids=orders, result=report,
                                  completed_at=utcnow()))
    return f"data request recorded: {report['order_count']} order(s) hold personal data"


async def customer_redact(session: AsyncSession, event: StoredEvent, body: dict[str, Any]) -> str:
    customer_gid, email, orders = _request_subject(body, "orders_to_redact")
    result = await privacy.redact_customer(session, event.shop_id, customer_gid=customer_gid, email=email,
                                           order_gids=orders)
    conditions = [WebhookEvent.id == event.id]
    if customer_gid:
        conditions.append(WebhookEvent.customer_gid == customer_gid)
    touched = set(orders) | set(result["orders"])
    if touched:
        conditions.append(WebhookEvent.resource_gid.in_(sorted(touched)))
    result["raw_events_scrubbed"] = await _scrub_events(session, event.shop_id, *conditions)
    session.add(ComplianceRequest(shop_id=event.shop_id, webhook_event_id=event.id, kind="customers/redact",
                                  customer_gid=customer_gid, order_gids=sorted(touched), result=result,
                                  completed_at=utcnow()))
    return f"customer redacted: {result['orders_redacted']} order(s), {result['raw_events_scrubbed']} raw event(s)"


async def shop_redact(session: AsyncSession, event: StoredEvent, body: dict[str, Any]) -> str:
    result = await privacy.redact_shop(session, event.shop_id)
    result["raw_events_scrubbed"] = await _scrub_events(session, event.shop_id)
    await session.execute(update(Shop.__table__).where(Shop.__table__.c.id == event.shop_id)
                          .values(access_token_encrypted=None))
    await session.execute(update(ComplianceRequest.__table__)
                          .where(ComplianceRequest.__table__.c.shop_id == event.shop_id)
                          .values(customer_email=None))
    session.add(ComplianceRequest(shop_id=event.shop_id, webhook_event_id=event.id, kind="shop/redact",
                                  result=result, completed_at=utcnow()))
    return f"shop redacted: {result['orders_redacted']} order(s), {result['raw_events_scrubbed']} raw event(s)"


_REQUESTS = ComplianceRequest.__table__
_SHOP_REDACTED = _REQUESTS.c.kind == "shop/redact"
_CUSTOMER_REDACTED = (_REQUESTS.c.kind == "customers/redact") & (_REQUESTS.c.customer_gid == bindparam("customer"))
# Built once: every ingested order asks (see app.shopify.ingest).
_REDACTED_SHOP = (select(_REQUESTS.c.id).where(_REQUESTS.c.shop_id == bindparam("shop_id"), _SHOP_REDACTED)
                  .limit(1))
_REDACTED_SHOP_OR_CUSTOMER = (select(_REQUESTS.c.id)
                              .where(_REQUESTS.c.shop_id == bindparam("shop_id"),
                                     or_(_SHOP_REDACTED, _CUSTOMER_REDACTED)).limit(1))


async def is_redacted(session: AsyncSession, shop_id: uuid.UUID, customer_gid: str | None) -> bool:
    """True when the shop was redacted, or this customer was (late redeliveries must not bring data back)."""
    if customer_gid:  # through the session: a redaction added earlier in this transaction is flushed first
        result = await session.execute(_REDACTED_SHOP_OR_CUSTOMER, {"shop_id": shop_id, "customer": customer_gid})
    else:
        result = await session.execute(_REDACTED_SHOP, {"shop_id": shop_id})
    return result.first() is not None
