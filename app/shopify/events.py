"""The raw webhook event store and the privacy (compliance) requests received from Shopify.

A webhook is stored exactly as received (the raw body text, so ids and amounts stay exact) before anything is
interpreted; `(shop_id, event_id)` is unique, which is what makes a redelivery of the same Shopify event a no-op.
`status`: received → processed | ignored (a topic we do not act on) | invalid (a body that cannot become a record;
`validation_issues` says why). `validation_issues` also lists fields Shopify normally sends but this body lacked.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UUIDPrimaryKey, utcnow

EVENT_STATUSES = ("received", "processed", "ignored", "invalid")


class StoredEvent(Protocol):
    """What the ingest handlers read of a stored event: a `WebhookEvent`, or a row of its table (the ingest job
    reads a row; it never changes the event through the ORM)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def shop_id(self) -> uuid.UUID: ...
    @property
    def event_id(self) -> str: ...
    @property
    def topic(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def triggered_at(self) -> datetime | None: ...
    @property
    def received_at(self) -> datetime: ...
    @property
    def validation_issues(self) -> list[Any]: ...


class WebhookEvent(UUIDPrimaryKey, Base):
    __tablename__ = "shopify_webhook_events"
    __table_args__ = (
        UniqueConstraint("shop_id", "event_id"),
        Index("ix_shopify_webhook_events_shop_resource", "shop_id", "resource_gid"),
        Index("ix_shopify_webhook_events_shop_customer", "shop_id", "customer_gid"),
    )

    shop_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(200))
    webhook_id: Mapped[str | None] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(100))
    api_version: Mapped[str | None] = mapped_column(String(20))
    triggered_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    body: Mapped[str] = mapped_column(Text)
    resource_gid: Mapped[str | None] = mapped_column(String(120))
    customer_gid: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), default="received")
    validation_issues: Mapped[list[Any]] = mapped_column(default=list)
    outcome: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None]
    redacted_at: Mapped[datetime | None]


class ComplianceRequest(UUIDPrimaryKey, Base):
    """customers/data_request, customers/redact or shop/redact, with what was found or done (`result`)."""

    __tablename__ = "shopify_compliance_requests"

    shop_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    webhook_event_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("shopify_webhook_events.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(30))
    customer_gid: Mapped[str | None] = mapped_column(String(120))
    customer_email: Mapped[str | None] = mapped_column(String(320))
    order_gids: Mapped[list[Any]] = mapped_column(default=list)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
