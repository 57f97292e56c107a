"""Tenants: Shopify shops, their encrypted credentials, tax profile and API keys."""
