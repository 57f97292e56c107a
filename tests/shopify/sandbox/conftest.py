"""Sandbox store fixtures: a small generated store served in process (httpx ASGITransport, lifespan running)."""

from __future__ import annotations

import httpx
import pytest

from app.shopify.sandbox import generate_store
from app.shopify.sandbox.app import create_sandbox_app
from app.shopify.sandbox.factory import DEFAULT_READ_ONLY_TOKEN, DEFAULT_TOKEN

URL = "/admin/api/2026-10/graphql.json"
FULL, READ_ONLY = DEFAULT_TOKEN, DEFAULT_READ_ONLY_TOKEN


class Sandbox:
    def __init__(self, store, app, client: httpx.AsyncClient) -> None:
        self.store, self.app, self.client = store, app, client

    @property
    def services(self):
        return self.app.state.services

    async def gql(self, query: str, variables: dict | None = None, token: str = FULL) -> dict:
        response = await self.client.post(URL, json={"query": query, "variables": variables or {}},
                                          headers={"X-Shopify-Access-Token": token})
        assert response.status_code == 200, response.text
        return response.json()


async def open_sandbox(store, **options):
    app = create_sandbox_app(store, **options)
    context = app.router.lifespan_context(app)
    await context.__aenter__()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test")
    return Sandbox(store, app, client), context


@pytest.fixture
async def sandbox():
    store = generate_store(seed=5, orders=60, plan="plus")
    box, context = await open_sandbox(store)
    yield box
    await box.client.aclose()
    await context.__aexit__(None, None, None)
