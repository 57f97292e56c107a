"""Canonical commerce records (orders, refunds, returns, fulfilments, payments) and their idempotent upserts."""
