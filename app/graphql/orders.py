"""Orders as synced from Shopify (canonical records), scoped to the caller's shops.

Children (line items, shipping lines, tax lines) are loaded per request through DataLoaders: one query per kind for
a whole page of orders, never one per order.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import select
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON
from strawberry.types import Info

from app.commerce.models import LineItem as LineItemModel
from app.commerce.models import Order as OrderModel
from app.commerce.models import ShippingLine as ShippingLineModel
from app.commerce.models import TaxLine as TaxLineModel
from app.errors import InvalidInput
from app.graphql.pagination import Connection, check_page_size, keyset_page
from app.graphql.permissions import FinanceRead
from app.graphql.types import Money


def _money(minor: int | None, currency: str | None) -> Money | None:
    return None if minor is None or currency is None else Money.from_minor(minor, currency)


@strawberry.type
class TaxLine:
    title: str
    rate: str | None = strawberry.field(description="Decimal fraction as Shopify states it, e.g. \"0.19\".")
    amount: Money | None
    channel_liable: bool | None
    scope: str = strawberry.field(description="order (aggregate), line or shipping.")


@strawberry.type
class LineItem:
    shopify_id: str | None
    sku: str | None
    title: str | None
    quantity: int
    current_quantity: int | None
    requires_shipping: bool | None
    is_gift_card: bool
    hs_code: str | None
    country_hs_codes: JSON
    country_of_origin: str | None
    unit_price: Money | None
    discounted_unit_price: Money | None
    total_discount: Money | None
    unit_cost: Money | None
    tax_lines: list[TaxLine]


@strawberry.type
class ShippingLine:
    title: str | None
    price: Money | None
    discounted_price: Money | None
    tax_lines: list[TaxLine]


@strawberry.type
class Order:
    id: strawberry.ID
    shopify_id: str
    name: str | None
    currency: str | None
    presentment_currency: str | None
    taxes_included: bool | None
    test: bool
    cancelled: bool
    cancelled_at: datetime | None
    processed_at: datetime | None
    shopify_updated_at: datetime | None
    financial_status: str | None
    fulfillment_status: str | None
    customer_tax_id: str | None
    shipping_address: JSON | None
    billing_address: JSON | None
    custom_attributes: JSON
    subtotal: Money | None
    total_price: Money | None
    total_tax: Money | None
    total_discounts: Money | None
    total_shipping: Money | None
    current_total_price: Money | None
    current_total_tax: Money | None
    total_price_presentment: Money | None
    validation_issues: JSON
    model: strawberry.Private[OrderModel]

    @classmethod
    def from_model(cls, o: OrderModel) -> Order:
        cur = o.currency
        return cls(
            id=strawberry.ID(str(o.id)), shopify_id=o.shopify_id, name=o.name, currency=cur,
            presentment_currency=o.presentment_currency, taxes_included=o.taxes_included, test=o.test,
            cancelled=o.cancelled_at is not None, cancelled_at=o.cancelled_at, processed_at=o.processed_at,
            shopify_updated_at=o.source_updated_at, financial_status=o.financial_status,
            fulfillment_status=o.fulfillment_status, customer_tax_id=o.customer_tax_id,
            shipping_address=o.shipping_address, billing_address=o.billing_address,
            custom_attributes=o.custom_attributes, subtotal=_money(o.subtotal_minor, cur),
            total_price=_money(o.total_price_minor, cur), total_tax=_money(o.total_tax_minor, cur),
            total_discounts=_money(o.total_discounts_minor, cur), total_shipping=_money(o.total_shipping_minor, cur),
            current_total_price=_money(o.current_total_price_minor, cur),
            current_total_tax=_money(o.current_total_tax_minor, cur),
            total_price_presentment=_money(o.total_price_pres_minor, o.presentment_currency),
            validation_issues=o.validation_issues, model=o,
        )

    @strawberry.field
    async def line_items(self, info: Info) -> list[LineItem]:
        lines = await _loader(info, LineItemModel).load(self.model.id)
        taxes = await _loader(info, TaxLineModel).load(self.model.id)
        return [_line_item(line, taxes, self.model.currency) for line in lines]

    @strawberry.field
    async def shipping_lines(self, info: Info) -> list[ShippingLine]:
        lines = await _loader(info, ShippingLineModel).load(self.model.id)
        taxes = await _loader(info, TaxLineModel).load(self.model.id)
        cur = self.model.currency
        return [ShippingLine(title=s.title, price=_money(s.price_minor, cur),
                             discounted_price=_money(s.discounted_price_minor, cur),
                             tax_lines=[_tax(t, cur) for t in taxes if t.shipping_line_id == s.id]) for s in lines]

    @strawberry.field(description="Shopify's order-level tax lines (aggregated per title and rate).")
    async def tax_lines(self, info: Info) -> list[TaxLine]:
        taxes = await _loader(info, TaxLineModel).load(self.model.id)
        return [_tax(t, self.model.currency) for t in taxes if t.scope == "order"]


def _tax(t: TaxLineModel, currency: str | None) -> TaxLine:
    return TaxLine(title=t.title, rate=t.rate, amount=_money(t.amount_minor, currency),
                   channel_liable=t.channel_liable, scope=t.scope)


def _line_item(line: LineItemModel, taxes: list[TaxLineModel], currency: str | None) -> LineItem:
    return LineItem(
        shopify_id=line.shopify_id, sku=line.sku, title=line.title, quantity=line.quantity,
        current_quantity=line.current_quantity, requires_shipping=line.requires_shipping,
        is_gift_card=line.is_gift_card, hs_code=line.hs_code, country_hs_codes=line.country_hs_codes,
        country_of_origin=line.country_of_origin, unit_price=_money(line.unit_price_minor, currency),
        discounted_unit_price=_money(line.discounted_unit_price_minor, currency),
        total_discount=_money(line.total_discount_minor, currency),
        unit_cost=_money(line.unit_cost_minor, line.unit_cost_currency),
        tax_lines=[_tax(t, currency) for t in taxes if t.line_item_id == line.id],
    )


def _loader(info: Info, model: Any) -> DataLoader[uuid.UUID, list[Any]]:
    """The request's loader of `model` rows by order id (one query per page of orders)."""
    loaders = info.context.loaders
    name = model.__tablename__
    if name not in loaders:
        database = info.context.database

        async def load(keys: Sequence[uuid.UUID]) -> list[list[Any]]:
            return await _children(database, model, keys)

        loaders[name] = DataLoader(load_fn=load)
    return loaders[name]


async def _children(database: Any, model: Any, keys: Sequence[uuid.UUID]) -> list[list[Any]]:
    async with database.sessionmaker() as session:
        rows = (await session.scalars(select(model).where(model.order_id.in_(keys))
                                      .order_by(model.position))).all()
    grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.order_id].append(row)
    return [grouped[key] for key in keys]


@strawberry.input
class OrderFilter:
    financial_status: str | None = None
    fulfillment_status: str | None = None
    test: bool | None = None
    cancelled: bool | None = None
    updated_since: datetime | None = strawberry.field(default=None, description="Shopify updatedAt ≥ this.")
    name: str | None = None


def _apply_filter(stmt: Any, f: OrderFilter | None) -> Any:
    if f is None:
        return stmt
    if f.financial_status is not None:
        stmt = stmt.where(OrderModel.financial_status == f.financial_status.upper())
    if f.fulfillment_status is not None:
        stmt = stmt.where(OrderModel.fulfillment_status == f.fulfillment_status.upper())
    if f.test is not None:
        stmt = stmt.where(OrderModel.test.is_(f.test))
    if f.cancelled is not None:
        column = OrderModel.cancelled_at
        stmt = stmt.where(column.is_not(None) if f.cancelled else column.is_(None))
    if f.updated_since is not None:
        if f.updated_since.tzinfo is None:
            raise InvalidInput("updatedSince needs a timezone (e.g. 2026-11-01T00:00:00Z)", field="filter.updatedSince")
        stmt = stmt.where(OrderModel.source_updated_at >= f.updated_since)
    if f.name is not None:
        stmt = stmt.where(OrderModel.name == f.name)
    return stmt


@strawberry.type
class OrderQueries:
    @strawberry.field(permission_classes=[FinanceRead], description="Orders of one shop, oldest synced first.")
    async def orders(self, info: Info, shop: str, first: int | None = 50, after: str | None = None,
                     filter: OrderFilter | None = None) -> Connection[Order]:
        ctx = info.context
        first = 50 if first is None else first
        check_page_size(first, ctx.settings.graphql_max_page_size)
        async with ctx.read_session() as session:
            shop_row = await ctx.visible_shop(session, shop)
            stmt = _apply_filter(select(OrderModel).where(OrderModel.shop_id == shop_row.id,
                                                          OrderModel.deleted_at.is_(None)), filter)
            return await keyset_page(session, stmt, [OrderModel.created_at, OrderModel.id], first=first,
                                     after=after, to_node=Order.from_model)

    @strawberry.field(permission_classes=[FinanceRead],
                      description="One order by our id or by its Shopify gid; null when not visible to this key.")
    async def order(self, info: Info, id: strawberry.ID) -> Order | None:
        ctx = info.context
        stmt = select(OrderModel)
        if str(id).startswith("gid://"):
            stmt = stmt.where(OrderModel.shopify_id == str(id))
        else:
            try:
                stmt = stmt.where(OrderModel.id == uuid.UUID(str(id)))
            except ValueError as exc:
                raise InvalidInput("id must be an order id or a gid://shopify/Order/… id", field="id") from exc
        visible = ctx.visible_shop_ids()
        if visible is not None:
            stmt = stmt.where(OrderModel.shop_id.in_(visible))
        async with ctx.read_session() as session:
            rows = (await session.scalars(stmt.limit(2))).all()
        if len(rows) != 1:
            return None
        return Order.from_model(rows[0])
