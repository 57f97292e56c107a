"""Shopify binding: `syncShop`, `backfillShop` (start durable jobs) and `bindingHealth` (live checks)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from app.errors import TaxreconError
from app.graphql.jobs import JobPayload
from app.graphql.permissions import Operator
from app.jobs import job_status


@strawberry.type
class BindingCheck:
    name: str
    ok: bool
    why: str
    fix: str | None


@strawberry.type(description="Whether a shop is ready to go live: token, scopes, webhooks, domain, settings.")
class BindingHealth:
    shop: str
    ok: bool
    needs_reauth: bool
    granted_scopes: list[str]
    checks: list[BindingCheck]


async def _start(info: Info, shop: str, start) -> JobPayload:  # type: ignore[no-untyped-def]
    """One transaction: find the caller's shop, queue the job(s); expected failures become payload errors."""
    ctx = info.context
    try:
        async with ctx.unit_of_work() as session:
            shop_row = await ctx.visible_shop(session, shop)
            ids = await start(session, shop_row)
    except TaxreconError as exc:
        return JobPayload.failed(exc.code, exc.message, exc.field)
    async with ctx.read_session() as session:
        return JobPayload.started(await job_status(session, ids))


@strawberry.type
class ShopifyMutations:
    @strawberry.mutation(permission_classes=[Operator],
                         description="Pull orders updated since the last sync (or `since`) from Shopify.")
    async def sync_shop(self, info: Info, shop: str, since: datetime | None = None) -> JobPayload:
        from app.shopify.tasks import start_sync

        async def start(session, shop_row):  # type: ignore[no-untyped-def]
            return start_sync(session, shop_row, since)

        return await _start(info, shop, start)

    @strawberry.mutation(permission_classes=[Operator],
                         description="Backfill every order through a Shopify bulk operation (resumable).")
    async def backfill_shop(self, info: Info, shop: str) -> JobPayload:
        from app.shopify.tasks import start_backfill

        async def start(session, shop_row):  # type: ignore[no-untyped-def]
            return [await start_backfill(session, shop_row)]

        return await _start(info, shop, start)


async def _flag_reauth(ctx, domain: str, report) -> None:  # type: ignore[no-untyped-def]
    from app.shops.service import mark_needs_reauth

    reason = next((c.why for c in report.checks if c.name == "token" and not c.ok), "the token was rejected")
    async with ctx.unit_of_work() as session:
        await mark_needs_reauth(session, await ctx.visible_shop(session, domain), reason)


@strawberry.type
class ShopifyQueries:
    @strawberry.field(permission_classes=[Operator], description="Runs the binding checks against Shopify now.")
    async def binding_health(self, info: Info, shop: str) -> BindingHealth:
        from app.shopify.binding import check_binding

        ctx = info.context
        async with ctx.read_session() as session:
            shop_row = await ctx.visible_shop(session, shop)
        report = await check_binding(ctx.settings, shop_row, ctx.box)
        if report.needs_reauth and not shop_row.needs_reauth:
            await _flag_reauth(ctx, shop_row.domain, report)
        return BindingHealth(shop=report.shop, ok=report.ok, needs_reauth=report.needs_reauth,
                             granted_scopes=list(report.granted_scopes),
                             checks=[BindingCheck(name=c.name, ok=c.ok, why=c.why, fix=c.fix) for c in report.checks])
