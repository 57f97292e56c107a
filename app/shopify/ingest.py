"""The ingest of one stored webhook event: map its body, upsert the records, mark the event — one transaction.

Runs inside the `shopify.ingest_event` job (its session also marks the outbox row done). An event that is no longer
`received` was handled before: nothing happens (a redelivered job is a no-op). A body that cannot become a record is
marked `invalid` with the reason; fields Shopify normally sends but the body lacked are added to the event's
`validation_issues`. Versions: a body's own `updated_at` (else created/processed time); returns carry none, so the
delivery's `X-Shopify-Triggered-At` (else the receive time) orders them.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.commerce import service
from app.commerce.models import Order
from app.commerce.records import Address, OrderRecord
from app.db import utcnow
from app.errors import InvalidInput
from app.jobs import enqueue
from app.shopify import compliance
from app.shopify.events import StoredEvent, WebhookEvent
from app.shopify.mapping import (
    MappingError, fulfillment_from_webhook, inventory_level_from_webhook, order_from_webhook, parse_body,
    refund_from_webhook, return_from_webhook, tender_transaction_from_webhook, transaction_from_webhook,
)
from app.shopify.mapping.common import rest_gid
from app.shops.models import Shop

log = logging.getLogger(__name__)
BULK_FINISHED_JOB = "shopify.bulk_finished"


def _issues_of(results: list[Any]) -> list[str]:
    return [issue for result in results for issue in getattr(result, "validation_issues", ())]


def _anonymised(record: OrderRecord) -> OrderRecord:
    def facts(address: Address | None) -> Address | None:
        if address is None:
            return None
        return Address(country_code=address.country_code, country=address.country,
                       province_code=address.province_code, province=address.province, zip=address.zip)

    return replace(record, customer_id=None, email=None, phone=None, note=None, custom_attributes=(),
                   shipping_address=facts(record.shipping_address), billing_address=facts(record.billing_address),
                   line_items=tuple(replace(item, properties=()) for item in record.line_items))


async def _order(session: AsyncSession, event: StoredEvent, body: dict[str, Any], source: str) -> tuple[str, list]:
    record = order_from_webhook(body)
    if await compliance.is_redacted(session, event.shop_id, record.customer_id):
        record = _anonymised(record)
    results = await service.ingest_order(session, event.shop_id, record, observed_at=event.triggered_at,
                                         source=source)
    return f"order {results[0].status}", list(record.validation_issues)


async def _order_delete(session: AsyncSession, event: StoredEvent, body: dict[str, Any],
                        source: str) -> tuple[str, list]:
    order_gid = rest_gid(body, "Order")
    if order_gid is None:
        raise MappingError("orders/delete body has no id")
    when = event.triggered_at or event.received_at
    table = Order.__table__
    found = (await session.execute(select(table.c.id, table.c.deleted_at).where(
        table.c.shop_id == event.shop_id, table.c.shopify_id == order_gid))).first()
    if found is None:  # the delete overtook the order: a tombstone the later create fills in
        await session.execute(table.insert().values(id=uuid.uuid4(), shop_id=event.shop_id, shopify_id=order_gid,
                                                    content_hash="", deleted_at=when, created_at=utcnow(),
                                                    updated_at=utcnow(), test=False, tags=[], custom_attributes=[],
                                                    payment_gateway_names=[], validation_issues=[], revision=0))
    elif found.deleted_at is None or when < found.deleted_at:
        await session.execute(update(table).where(table.c.id == found.id).values(deleted_at=when))
    return "order marked deleted", []


async def _refund(session: AsyncSession, event: StoredEvent, body: dict[str, Any], source: str) -> tuple[str, list]:
    record = refund_from_webhook(body)
    results = await service.upsert_refund(session, event.shop_id, record, source=source)
    return f"refund {results[0].status}", list(record.validation_issues) + _issues_of(record.transactions)


async def _fulfillment(session: AsyncSession, event: StoredEvent, body: dict[str, Any],
                       source: str) -> tuple[str, list]:
    record = fulfillment_from_webhook(body)
    result = await service.upsert_fulfillment(session, event.shop_id, record, source=source)
    return f"fulfillment {result.status}", list(record.validation_issues)


async def _return(session: AsyncSession, event: StoredEvent, body: dict[str, Any], source: str) -> tuple[str, list]:
    record = return_from_webhook(body)
    version = event.triggered_at or event.received_at
    result = await service.upsert_return(session, event.shop_id, record, version_at=version, source=source)
    return f"return {result.status}", list(record.validation_issues)


async def _transaction(session: AsyncSession, event: StoredEvent, body: dict[str, Any],
                       source: str) -> tuple[str, list]:
    tender = event.topic.startswith("tender_")
    record = tender_transaction_from_webhook(body) if tender else transaction_from_webhook(body)
    result = await service.upsert_transaction(session, event.shop_id, record, source=source)
    return f"transaction {result.status}", list(record.validation_issues)


async def _inventory(session: AsyncSession, event: StoredEvent, body: dict[str, Any],
                     source: str) -> tuple[str, list]:
    record = inventory_level_from_webhook(body)
    if record.updated_at is None:
        record = replace(record, updated_at=event.triggered_at or event.received_at)
    result = await service.upsert_inventory_level(session, event.shop_id, record, source=source)
    return f"inventory level {result.status}", []


async def _uninstalled(session: AsyncSession, event: StoredEvent, body: dict[str, Any],
                       source: str) -> tuple[str, list]:
    when = event.triggered_at or event.received_at
    await session.execute(update(Shop.__table__).where(Shop.__table__.c.id == event.shop_id)
                          .values(uninstalled_at=when))
    return "shop marked uninstalled", []


async def _bulk_finished(session: AsyncSession, event: StoredEvent, body: dict[str, Any],
                         source: str) -> tuple[str, list]:
    operation = body.get("admin_graphql_api_id")
    if not operation:
        raise MappingError("bulk_operations/finish body has no admin_graphql_api_id")
    enqueue(session, BULK_FINISHED_JOB, {
        "shop_id": str(event.shop_id), "admin_graphql_api_id": str(operation), "status": body.get("status"),
        "error_code": body.get("error_code"), "completed_at": body.get("completed_at"),
    }, key=f"{event.shop_id}:{operation}")
    return f"bulk operation {operation} handed to {BULK_FINISHED_JOB}", []


async def _compliance(session: AsyncSession, event: StoredEvent, body: dict[str, Any],
                      source: str) -> tuple[str, list]:
    handler = {"customers/data_request": compliance.data_request, "customers/redact": compliance.customer_redact,
               "shop/redact": compliance.shop_redact}[event.topic]
    return await handler(session, event, body), []


HANDLERS = {
    **{f"orders/{verb}": _order for verb in ("create", "updated", "paid", "cancelled", "fulfilled",
                                              "partially_fulfilled", "edited")},
    "orders/delete": _order_delete, "refunds/create": _refund,
    "fulfillments/create": _fulfillment, "fulfillments/update": _fulfillment,
    **{f"returns/{verb}": _return for verb in ("request", "approve", "decline", "cancel", "close", "reopen",
                                                "process", "update")},
    "order_transactions/create": _transaction, "tender_transactions/create": _transaction,
    "inventory_levels/update": _inventory, "app/uninstalled": _uninstalled, "bulk_operations/finish": _bulk_finished,
    "customers/data_request": _compliance, "customers/redact": _compliance, "shop/redact": _compliance,
}


_EVENTS = WebhookEvent.__table__
# Built once: the job runs for every webhook, and building and cache-keying these statements per call cost about as
# much as running them. The event is read as a row (attribute access like the model's, read-only).
_LOAD_EVENT = select(_EVENTS).where(_EVENTS.c.id == bindparam("row_id"))
_MARK_EVENT = update(_EVENTS).where(_EVENTS.c.id == bindparam("row_id")).values(
    status=bindparam("status"), outcome=bindparam("outcome"), validation_issues=bindparam("issues"),
    processed_at=bindparam("processed_at"))


async def ingest_event(session: AsyncSession, webhook_event_id: uuid.UUID) -> str:
    """Handle one stored event (idempotent); returns its outcome line."""
    event = (await session.execute(_LOAD_EVENT, {"row_id": webhook_event_id})).first()
    if event is None:
        raise InvalidInput(f"webhook event {webhook_event_id} does not exist", code="NOT_FOUND")
    if event.status != "received":
        return f"already {event.status}"
    handler = HANDLERS.get(event.topic)
    if handler is None:
        log.info("shopify webhook topic %s ignored (event %s)", event.topic, event.event_id)
        status, outcome, issues = "ignored", f"topic {event.topic!r} is not handled", []
    else:
        try:
            async with session.begin_nested():  # a body failing half-way leaves no partial effects
                outcome, issues = await handler(session, event, parse_body(event.body), f"webhook:{event.event_id}")
            status = "processed"
        except (MappingError, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("shopify webhook %s (%s) could not be mapped: %s", event.event_id, event.topic, exc)
            status, outcome, issues = "invalid", f"cannot map the body: {exc}", [str(exc)]
    merged = list(dict.fromkeys([*(event.validation_issues or []), *issues]))
    await session.execute(_MARK_EVENT, {"row_id": event.id, "status": status, "outcome": outcome[:2000],
                                        "issues": merged, "processed_at": utcnow()})
    return outcome

