"""An app client per test: the real app (lifespan included) on the test database, with API keys made by the
real service."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from starlette.testclient import TestClient

from app.config import Settings
from app.main import create_app


@dataclass
class Api:
    client: TestClient
    settings: Settings

    def graphql(self, query: str, key: str | None, variables: dict | None = None):  # type: ignore[no-untyped-def]
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return self.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)

    def run(self, coro_factory):  # type: ignore[no-untyped-def]
        """Run an async function against the app's own database inside the app's event loop."""
        return self.client.portal.call(coro_factory, self.client.app.state.database)  # type: ignore[union-attr]


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    with TestClient(create_app(settings)) as client:
        yield Api(client, settings)


async def make_shop(database, domain: str, box=None, **kwargs):  # type: ignore[no-untyped-def]
    from app.security import SecretBox
    from app.shops.service import create_shop

    async with database.unit_of_work() as session:
        shop = await create_shop(session, box=box or SecretBox.from_key_material(kwargs.pop("key")),
                                 domain=domain, **kwargs)
    return shop


async def make_key(database, role: str, shops: list[str]) -> str:  # type: ignore[no-untyped-def]
    from app.auth import create_api_key

    async with database.unit_of_work() as session:
        _, key = await create_api_key(session, role=role, shop_domains=shops)
    return key
