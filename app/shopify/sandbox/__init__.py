"""A local Shopify *sandbox* store speaking the Admin GraphQL subset taxrecon uses, with Shopify's semantics.

Not Shopify: a test and demo double. Documents are validated and executed on Shopify's official 2026-10 schema,
scopes come from the schema's `offline_scopes`, cost throttling follows the plan's restore rate, bulk operations
write JSONL, webhooks are signed like Shopify's. See README.md in this package.
"""

from app.shopify.sandbox.factory import generate_store  # noqa: F401
from app.shopify.sandbox.store import SandboxStore  # noqa: F401


def __getattr__(name: str):
    """`create_sandbox_app`, `SandboxServer`, `FaultPlan`, `WebhookOptions` load the web stack only when used."""
    if name == "create_sandbox_app":
        from app.shopify.sandbox.app import create_sandbox_app
        return create_sandbox_app
    if name == "SandboxServer":
        from app.shopify.sandbox.runner import SandboxServer
        return SandboxServer
    if name == "FaultPlan":
        from app.shopify.sandbox.faults import FaultPlan
        return FaultPlan
    if name == "WebhookOptions":
        from app.shopify.sandbox.webhooks import WebhookOptions
        return WebhookOptions
    raise AttributeError(name)
