"""A local Shopify *sandbox* store speaking the Admin GraphQL subset taxrecon uses, with Shopify's semantics.

Not Shopify: a test and demo double. Documents are validated and executed on Shopify's official 2026-10 schema,
scopes come from the schema's `offline_scopes`, cost throttling follows the plan's restore rate, bulk operations
write JSONL, webhooks are signed like Shopify's. See README "Sandbox store".
"""

from app.shopify.sandbox.factory import generate_store  # noqa: F401
