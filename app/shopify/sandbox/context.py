"""Per-request execution context handed to every resolver."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.shopify.sandbox.store import SandboxStore, TokenGrant


@dataclass
class SandboxContext:
    store: SandboxStore
    grant: TokenGrant
    api_version: str
    base_url: str
    services: object            # app.SandboxServices (bulk runner, webhooks); typed loosely to avoid a cycle
    denied: dict[int, tuple[str, ...]] = field(default_factory=dict)
    idempotency_key: str | None = None
    search: list[dict] = field(default_factory=list)
