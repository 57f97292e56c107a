"""Per-request GraphQL context."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from app.config import Settings
from app.db import Database
from app.errors import NotFound

if TYPE_CHECKING:
    from app.auth import Principal
    from app.shops.models import Shop


@dataclass
class Context:
    """What resolvers may use. Sessions are opened per resolver: GraphQL resolves fields concurrently and one
    AsyncSession must not be shared between concurrent tasks. Mutations use `unit_of_work()` (one transaction)."""

    request: Request
    settings: Settings
    database: Database
    principal: Principal
    box: Any
    jobs: Any
    loaders: dict[str, Any] = field(default_factory=dict)

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        async with self.database.sessionmaker() as session:
            yield session

    def unit_of_work(self):  # type: ignore[no-untyped-def]
        return self.database.unit_of_work()

    async def visible_shop(self, session: AsyncSession, domain: str) -> Shop:
        """The caller's shop by domain; a shop the caller may not see is reported exactly like a missing one."""
        from app.shops.service import get_shop_by_domain, normalise_shop_domain

        normalised, _ = normalise_shop_domain(domain)
        shop = await get_shop_by_domain(session, normalised)
        if shop is None or not self.principal.can_see(shop.id):
            raise NotFound(f"no shop {normalised!r} is visible to this API key", code="SHOP_NOT_FOUND", field="shop")
        return shop

    def visible_shop_ids(self) -> frozenset[UUID] | None:
        """None means every shop (an admin key with all shops)."""
        return None if self.principal.all_shops else self.principal.shop_ids
