"""Support for the connector's end-to-end tests (no tests here): a sandbox store in process, a shop bound to it,
and a deterministic job driver that runs pending Shopify jobs through the real job executor, one at a time."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.config import Settings
from app.db import Database
from app.jobs.executor import Executor
from app.jobs.models import OutboxMessage
from app.jobs.registry import get_job
from app.security import SecretBox
from app.shopify import sync
from app.shopify.throttle import forget_buckets
from app.shops.service import create_shop

SANDBOX_BASE = "http://sandbox.test"


@dataclass
class Bound:
    store: Any
    app: Any
    shop_id: uuid.UUID
    domain: str
    box: SecretBox


def sandbox_app(store: Any, **kwargs: Any) -> Any:
    from app.shopify.sandbox.app import create_sandbox_app

    return create_sandbox_app(store, **kwargs)


def use_sandbox(app: Any) -> None:
    """Every client the connector builds talks to `app` in process (no sockets)."""
    sync.http_factory = lambda: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=SANDBOX_BASE,
                                                  timeout=60)


async def bind_shop(db: Database, settings: Settings, store: Any, app: Any, *, token: str | None = None,
                    domain: str | None = None, tax_profile: dict | None = None) -> Bound:
    box = SecretBox.from_settings(settings)
    domain = domain or store.profile.domain
    async with db.unit_of_work() as session:
        shop = await create_shop(session, box=box, domain=domain,
                                 access_token=token or next(iter(store.tokens)), api_url=SANDBOX_BASE,
                                 tax_profile=tax_profile)
        shop_id = shop.id
    return Bound(store, app, shop_id, domain, box)


async def run_jobs(db: Database, settings: Settings, *, prefix: str = "shopify.", limit: int | None = None,
                   tolerate_failures: bool = False) -> list[str]:
    """Run pending jobs named `prefix*` in creation order until none is left (or `limit` ran); the names run."""
    executor = Executor(settings, db)
    ran: list[str] = []
    for _ in range(limit or 10_000):
        async with db.sessionmaker() as session:
            row = (await session.execute(
                select(OutboxMessage.id, OutboxMessage.name).where(
                    OutboxMessage.status == "pending", OutboxMessage.name.like(f"{prefix}%"))
                .order_by(OutboxMessage.created_at, OutboxMessage.id).limit(1))).first()
        if row is None:
            return ran
        try:
            await executor.run(get_job(row.name), row.id)
        except Exception:
            if not tolerate_failures:
                raise
            return ran + [f"{row.name}:failed"]
        ran.append(row.name)
    if limit is not None:
        return ran
    raise AssertionError("jobs kept coming")


async def count(db: Database, model: Any, *where: Any) -> int:
    async with db.sessionmaker() as session:
        return (await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


@pytest.fixture(autouse=True)
def _isolated_connector() -> AsyncIterator[None]:
    forget_buckets()
    yield
    sync.http_factory = None
    forget_buckets()
