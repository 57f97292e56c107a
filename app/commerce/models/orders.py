"""Orders and their children: line items, shipping lines and tax lines (order, line and shipping level).

Money: `<name>_minor` in the order's shop currency, `<name>_pres_minor` in its presentment currency (integer minor
units). Children are replaced as a whole whenever a newer order version is applied (never patched one by one).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.commerce.models.base import ShopOwned, VersionedParent
from app.db import Base, UUIDPrimaryKey

Minor = Mapped[int | None]


def minor() -> Any:
    return mapped_column(BigInteger, nullable=True)


class Order(VersionedParent, Base):
    __tablename__ = "commerce_orders"
    __table_args__ = (UniqueConstraint("shop_id", "shopify_id"), Index("ix_commerce_orders_shop_updated",
                                                                       "shop_id", "source_updated_at"))

    legacy_id: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str | None] = mapped_column(String(64))
    number: Mapped[int | None] = mapped_column(BigInteger)
    shopify_created_at: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(40))
    closed_at: Mapped[datetime | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    presentment_currency: Mapped[str | None] = mapped_column(String(3))
    taxes_included: Mapped[bool | None]
    tax_exempt: Mapped[bool | None]
    test: Mapped[bool] = mapped_column(default=False)
    financial_status: Mapped[str | None] = mapped_column(String(40))
    fulfillment_status: Mapped[str | None] = mapped_column(String(40))
    source_name: Mapped[str | None] = mapped_column(String(100))
    customer_gid: Mapped[str | None] = mapped_column(String(120), index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(64))
    customer_tax_id: Mapped[str | None] = mapped_column(String(64))
    customer_locale: Mapped[str | None] = mapped_column(String(20))
    shipping_address: Mapped[dict[str, Any] | None]
    billing_address: Mapped[dict[str, Any] | None]
    note: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    custom_attributes: Mapped[list[Any]] = mapped_column(default=list)
    payment_gateway_names: Mapped[list[Any]] = mapped_column(default=list)
    subtotal_minor: Minor = minor()
    subtotal_pres_minor: Minor = minor()
    total_price_minor: Minor = minor()
    total_price_pres_minor: Minor = minor()
    total_tax_minor: Minor = minor()
    total_tax_pres_minor: Minor = minor()
    total_discounts_minor: Minor = minor()
    total_discounts_pres_minor: Minor = minor()
    total_shipping_minor: Minor = minor()
    total_shipping_pres_minor: Minor = minor()
    current_total_price_minor: Minor = minor()
    current_total_price_pres_minor: Minor = minor()
    current_total_tax_minor: Minor = minor()
    current_total_tax_pres_minor: Minor = minor()
    total_outstanding_minor: Minor = minor()
    total_outstanding_pres_minor: Minor = minor()
    total_duties_minor: Minor = minor()
    total_duties_pres_minor: Minor = minor()
    deleted_at: Mapped[datetime | None]  # orders/delete: kept for the books, marked deleted
    redacted_at: Mapped[datetime | None]


class OrderChild(UUIDPrimaryKey, ShopOwned):
    @classmethod
    def order_fk(cls) -> Any:
        return mapped_column(ForeignKey("commerce_orders.id", ondelete="CASCADE"), index=True)


class LineItem(OrderChild, Base):
    __tablename__ = "commerce_line_items"

    order_id: Mapped[uuid.UUID] = OrderChild.order_fk()
    position: Mapped[int]
    shopify_id: Mapped[str | None] = mapped_column(String(120))
    sku: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    variant_title: Mapped[str | None] = mapped_column(Text)
    variant_gid: Mapped[str | None] = mapped_column(String(120))
    product_gid: Mapped[str | None] = mapped_column(String(120))
    quantity: Mapped[int]
    current_quantity: Mapped[int | None]
    fulfillable_quantity: Mapped[int | None]
    unit_price_minor: Minor = minor()
    unit_price_pres_minor: Minor = minor()
    discounted_unit_price_minor: Minor = minor()
    discounted_unit_price_pres_minor: Minor = minor()
    total_discount_minor: Minor = minor()
    total_discount_pres_minor: Minor = minor()
    discount_allocations: Mapped[list[Any]] = mapped_column(default=list)  # [{index, minor, pres_minor}]
    requires_shipping: Mapped[bool | None]
    taxable: Mapped[bool | None]
    is_gift_card: Mapped[bool] = mapped_column(default=False)
    fulfillment_service: Mapped[str | None] = mapped_column(String(100))
    fulfillment_status: Mapped[str | None] = mapped_column(String(40))
    hs_code: Mapped[str | None] = mapped_column(String(20))
    country_hs_codes: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"DE": "6109100010"}
    country_of_origin: Mapped[str | None] = mapped_column(String(2))
    province_of_origin: Mapped[str | None] = mapped_column(String(10))
    unit_cost_minor: Minor = minor()
    unit_cost_currency: Mapped[str | None] = mapped_column(String(3))
    duties: Mapped[list[Any]] = mapped_column(default=list)  # [{hs_code, country_of_origin, minor, pres_minor}]
    properties: Mapped[list[Any]] = mapped_column(default=list)
    product_exists: Mapped[bool | None]


class ShippingLine(OrderChild, Base):
    __tablename__ = "commerce_shipping_lines"

    order_id: Mapped[uuid.UUID] = OrderChild.order_fk()
    position: Mapped[int]
    shopify_id: Mapped[str | None] = mapped_column(String(120))
    title: Mapped[str | None] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(100))
    is_removed: Mapped[bool] = mapped_column(default=False)
    price_minor: Minor = minor()
    price_pres_minor: Minor = minor()
    discounted_price_minor: Minor = minor()
    discounted_price_pres_minor: Minor = minor()


class TaxLine(OrderChild, Base):
    """Shopify's tax line as charged: `scope` is order (aggregate), line or shipping (the detail)."""

    __tablename__ = "commerce_tax_lines"

    order_id: Mapped[uuid.UUID] = OrderChild.order_fk()
    line_item_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("commerce_line_items.id", ondelete="CASCADE"), index=True)
    shipping_line_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("commerce_shipping_lines.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(10))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(255))
    rate: Mapped[str | None] = mapped_column(String(32))
    rate_percentage: Mapped[str | None] = mapped_column(String(32))
    amount_minor: Minor = minor()
    amount_pres_minor: Minor = minor()
    channel_liable: Mapped[bool | None]
    source: Mapped[str | None] = mapped_column(String(64))
