"""Shopify payloads → canonical commerce records (`app.commerce.records`).

Webhook / REST bodies (snake_case) and Admin GraphQL nodes (camelCase, gid ids) map to the same frozen dataclasses,
so a record reads the same whichever way it arrived. Parse webhook bodies with `parse_body` (exact ids and amounts).
"""

from app.shopify.mapping.common import MappingError, parse_body
from app.shopify.mapping.graphql import (
    fulfillment_from_graphql, fulfillment_order_from_graphql, order_from_graphql, refund_from_graphql,
    return_from_graphql, transaction_from_graphql,
)
from app.shopify.mapping.graphql_payments import balance_transaction_from_graphql, payout_from_graphql
from app.shopify.mapping.jsonl import BulkAssembler, BulkOrderError, assemble
from app.shopify.mapping.rest import (
    fulfillment_from_webhook, order_from_webhook, tender_transaction_from_webhook, transaction_from_webhook,
)
from app.shopify.mapping.rest_refunds import (
    DraftOrderRecord, SuggestedRefund, balance_transaction_from_rest, draft_order_from_webhook,
    inventory_level_from_webhook, payout_from_rest, refund_from_webhook, return_from_webhook,
    suggested_refund_from_rest,
)

__all__ = [
    "BulkAssembler", "BulkOrderError", "DraftOrderRecord", "MappingError", "SuggestedRefund", "assemble",
    "balance_transaction_from_graphql", "balance_transaction_from_rest", "draft_order_from_webhook",
    "fulfillment_from_graphql", "fulfillment_from_webhook", "fulfillment_order_from_graphql",
    "inventory_level_from_webhook", "order_from_graphql", "order_from_webhook", "parse_body", "payout_from_graphql",
    "payout_from_rest", "refund_from_graphql", "refund_from_webhook", "return_from_graphql", "return_from_webhook",
    "suggested_refund_from_rest", "tender_transaction_from_webhook", "transaction_from_graphql",
    "transaction_from_webhook",
]
