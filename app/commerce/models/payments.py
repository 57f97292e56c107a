"""Shopify Payments payouts and balance transactions, inventory levels, and the stale-delivery audit."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.commerce.models.base import ShopOwned, VersionedParent
from app.commerce.models.orders import Minor, minor
from app.db import Base, UUIDPrimaryKey, utcnow


class Payout(VersionedParent, Base):
    __tablename__ = "commerce_payouts"
    __table_args__ = (UniqueConstraint("shop_id", "shopify_id"),)

    status: Mapped[str | None] = mapped_column(String(20))
    issued_at: Mapped[datetime | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    net_minor: Minor = minor()
    charges_gross_minor: Minor = minor()
    charges_fee_minor: Minor = minor()
    refunds_gross_minor: Minor = minor()
    refunds_fee_minor: Minor = minor()
    adjustments_gross_minor: Minor = minor()
    adjustments_fee_minor: Minor = minor()
    reserved_funds_gross_minor: Minor = minor()
    reserved_funds_fee_minor: Minor = minor()
    retried_payouts_gross_minor: Minor = minor()
    retried_payouts_fee_minor: Minor = minor()


class BalanceTransaction(VersionedParent, Base):
    __tablename__ = "commerce_balance_transactions"
    __table_args__ = (UniqueConstraint("shop_id", "shopify_id"),)

    type: Mapped[str | None] = mapped_column(String(40))
    test: Mapped[bool] = mapped_column(default=False)
    payout_gid: Mapped[str | None] = mapped_column(String(120), index=True)
    payout_status: Mapped[str | None] = mapped_column(String(20))
    currency: Mapped[str | None] = mapped_column(String(3))
    amount_minor: Minor = minor()
    fee_minor: Minor = minor()
    net_minor: Minor = minor()
    source_type: Mapped[str | None] = mapped_column(String(40))
    source_id: Mapped[str | None] = mapped_column(String(120))
    source_order_gid: Mapped[str | None] = mapped_column(String(120))
    source_order_transaction_gid: Mapped[str | None] = mapped_column(String(120))
    processed_at: Mapped[datetime | None]
    adjustment_reason: Mapped[str | None] = mapped_column(String(64))


class InventoryLevel(VersionedParent, Base):
    """`shopify_id` is `<inventory item gid>@<location gid>`."""

    __tablename__ = "commerce_inventory_levels"
    __table_args__ = (UniqueConstraint("shop_id", "shopify_id"),)

    inventory_item_gid: Mapped[str] = mapped_column(String(120))
    location_gid: Mapped[str] = mapped_column(String(120))
    available: Mapped[int | None]


class StaleDelivery(UUIDPrimaryKey, ShopOwned, Base):
    """A delivery older than what is stored (STALE_EVENT): counted and shown by reconciliation, never applied."""

    __tablename__ = "commerce_stale_deliveries"

    kind: Mapped[str] = mapped_column(String(30))
    shopify_id: Mapped[str] = mapped_column(String(120))
    incoming_version_at: Mapped[datetime | None]
    stored_version_at: Mapped[datetime | None]
    source: Mapped[str | None] = mapped_column(String(200))  # e.g. "webhook:<event id>"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaleCounter(Base):
    __tablename__ = "commerce_stale_counters"
    __table_args__ = (UniqueConstraint("shop_id", "kind"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    shop_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    count: Mapped[int] = mapped_column(default=0)
