"""Shopify: Admin GraphQL client, webhooks, mapping to canonical records, and a local sandbox store."""
