"""Refunds (lines, shipping/adjustment/duty amounts), transactions, returns, fulfillments and fulfillment orders.

These reference their order by Shopify id (`order_gid`), not by foreign key: Shopify does not order deliveries, so a
refund may arrive before its order. Money of a refund is in the refund's own currency pair.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.commerce.models.base import ShopOwned, VersionedParent
from app.commerce.models.orders import Minor, minor
from app.db import Base, UUIDPrimaryKey


def _parent_fk(table: str) -> Any:
    return mapped_column(ForeignKey(f"{table}.id", ondelete="CASCADE"), index=True)


class Refund(VersionedParent, Base):
    __tablename__ = "commerce_refunds"
    __table_args__ = (UniqueConstraint("shop_id", "shopify_id"), Index("ix_commerce_refunds_order", "shop_id",
                                                                       "order_gid"))

    order_gid: Mapped[str | None] = mapped_column(String(120))
    shopify_created_at: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    restock: Mapped[bool | None]
    return_gid: Mapped[str | None] = mapped_column(String(120))
    currency: Mapped[str | None] = mapped_column(String(3))
    presentment_currency: Mapped[str | None] = mapped_column(String(3))
    total_refunded_minor: Minor = minor()
    total_refunded_pres_minor: Minor = minor()


class RefundLine(UUIDPrimaryKey, ShopOwned, Base):
    __tablename__ = "commerce_refund_lines"

    refund_id: Mapped[uuid.UUID] = _parent_fk("commerce_refunds")
    position: Mapped[int]
    shopify_id: Mapped[str | None] = mapped_column(String(120))
    line_item_gid: Mapped[str | None] = mapped_column(String(120))
    quantity: Mapped[int]
    restock_type: Mapped[str | None] = mapped_column(String(20))
    restocked: Mapped[bool | None]
    location_gid: Mapped[str | None] = mapped_column(String(120))
    subtotal_minor: Minor = minor()
    subtotal_pres_minor: Minor = minor()
    total_tax_minor: Minor = minor()
    total_tax_pres_minor: Minor = minor()


class RefundAdjustment(UUIDPrimaryKey, ShopOwned, Base):
    """A refunded amount that is not a line: kind `shipping`, `order_adjustment` or `duty`."""

    __tablename__ = "commerce_refund_adjustments"

    refund_id: Mapped[uuid.UUID] = _parent_fk("commerce_refunds")
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    shopify_id: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(Text)
    amount_minor: Minor = minor()
    amount_pres_minor: Minor = minor()
    tax_minor: Minor = minor()
    tax_pres_minor: Minor = minor()


class Transaction(VersionedParent, Base):
    """An order transaction (authorization, sale, capture, refund, void) or a tender transaction."""

    __tablename__ = "commerce_transactions"
    __table_args__ = (UniqueConstraint("shop_id", "shopify_id"), Index("ix_commerce_transactions_order", "shop_id",
                                                                       "order_gid"))

    resource: Mapped[str] = mapped_column(String(20))
    order_gid: Mapped[str | None] = mapped_column(String(120))
    refund_gid: Mapped[str | None] = mapped_column(String(120))
    parent_gid: Mapped[str | None] = mapped_column(String(120))
    kind: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str | None] = mapped_column(String(20))
    gateway: Mapped[str | None] = mapped_column(String(100))
    currency: Mapped[str | None] = mapped_column(String(3))
    amount_minor: Minor = minor()
    presentment_currency: Mapped[str | None] = mapped_column(String(3))
    amount_pres_minor: Minor = minor()
    shopify_created_at: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    test: Mapped[bool] = mapped_column(default=False)
    error_code: Mapped[str | None] = mapped_column(String(64))
    authorization: Mapped[str | None] = mapped_column(String(255))
    payment_method: Mapped[str | None] = mapped_column(String(64))
    remote_reference: Mapped[str | None] = mapped_column(String(255))


class Return(VersionedParent, Base):
    __tablename__ = "commerce_returns"
    __table_args__ = (UniqueConstraint("shop_id", "shopify_id"),)

    order_gid: Mapped[str | None] = mapped_column(String(120), index=True)
    name: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(20))
    total_quantity: Mapped[int | None]
    decline_reason: Mapped[str | None] = mapped_column(String(64))
    decline_note: Mapped[str | None] = mapped_column(Text)
    shopify_created_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    request_approved_at: Mapped[datetime | None]
    lines_version_at: Mapped[datetime | None]  # returns/* bodies may omit lines: lines keep their own version


class ReturnLine(UUIDPrimaryKey, ShopOwned, Base):
    __tablename__ = "commerce_return_lines"

    return_id: Mapped[uuid.UUID] = _parent_fk("commerce_returns")
    position: Mapped[int]
    shopify_id: Mapped[str | None] = mapped_column(String(120))
    line_item_gid: Mapped[str | None] = mapped_column(String(120))
    fulfillment_line_item_gid: Mapped[str | None] = mapped_column(String(120))
    quantity: Mapped[int]
    refundable_quantity: Mapped[int | None]
    refunded_quantity: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(String(64))
    reason_name: Mapped[str | None] = mapped_column(String(255))
    reason_note: Mapped[str | None] = mapped_column(Text)
    customer_note: Mapped[str | None] = mapped_column(Text)


class Fulfillment(VersionedParent, Base):
    __tablename__ = "commerce_fulfillments"
    __table_args__ = (UniqueConstraint("shop_id", "shopify_id"), Index("ix_commerce_fulfillments_order", "shop_id",
                                                                       "order_gid"))

    order_gid: Mapped[str | None] = mapped_column(String(120))
    name: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(20))
    shipment_status: Mapped[str | None] = mapped_column(String(40))
    display_status: Mapped[str | None] = mapped_column(String(40))
    tracking_company: Mapped[str | None] = mapped_column(String(255))
    tracking_numbers: Mapped[list[Any]] = mapped_column(default=list)
    tracking_urls: Mapped[list[Any]] = mapped_column(default=list)
    location_gid: Mapped[str | None] = mapped_column(String(120))
    service: Mapped[str | None] = mapped_column(String(255))
    shopify_created_at: Mapped[datetime | None]


class FulfillmentLine(UUIDPrimaryKey, ShopOwned, Base):
    __tablename__ = "commerce_fulfillment_lines"

    fulfillment_id: Mapped[uuid.UUID] = _parent_fk("commerce_fulfillments")
    position: Mapped[int]
    shopify_id: Mapped[str | None] = mapped_column(String(120))
    line_item_gid: Mapped[str | None] = mapped_column(String(120))
    quantity: Mapped[int]


class FulfillmentOrder(VersionedParent, Base):
    """Where and how lines are to be fulfilled; `delivery_method` `none` marks non-physical lines."""

    __tablename__ = "commerce_fulfillment_orders"
    __table_args__ = (UniqueConstraint("shop_id", "shopify_id"),)

    order_gid: Mapped[str | None] = mapped_column(String(120), index=True)
    status: Mapped[str | None] = mapped_column(String(20))
    request_status: Mapped[str | None] = mapped_column(String(40))
    delivery_method: Mapped[str | None] = mapped_column(String(20))
    assigned_location_gid: Mapped[str | None] = mapped_column(String(120))
    lines: Mapped[list[Any]] = mapped_column(default=list)  # [{shopify_id, line_item_gid, total, remaining}]
