"""Shops visible to the caller."""

from __future__ import annotations

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from app.graphql.permissions import Authenticated
from app.shops.models import Shop as ShopModel


@strawberry.type
class Shop:
    id: strawberry.ID
    domain: str
    name: str | None
    currency: str
    timezone: str
    needs_reauth: bool
    reauth_reason: str | None

    @classmethod
    def from_model(cls, shop: ShopModel) -> Shop:
        return cls(id=strawberry.ID(str(shop.id)), domain=shop.domain, name=shop.name, currency=shop.currency,
                   timezone=shop.timezone, needs_reauth=shop.needs_reauth, reauth_reason=shop.reauth_reason)


@strawberry.type
class ShopQueries:
    @strawberry.field(permission_classes=[Authenticated], description="The shops this API key may see.")
    async def shops(self, info: Info) -> list[Shop]:
        ctx = info.context
        stmt = select(ShopModel).order_by(ShopModel.domain)
        visible = ctx.visible_shop_ids()
        if visible is not None:
            stmt = stmt.where(ShopModel.id.in_(visible))
        async with ctx.read_session() as session:
            return [Shop.from_model(s) for s in (await session.scalars(stmt)).all()]
