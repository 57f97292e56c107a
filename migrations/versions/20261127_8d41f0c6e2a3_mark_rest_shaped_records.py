"""mark orders, fulfilments, refunds and transactions stored from REST bodies as ranking below a GraphQL read

A REST webhook body carries fewer facts than an Admin GraphQL read of the same version, and such records now carry
the partial mark in their digest (`app.commerce.service._ranked`), so the GraphQL read of their version wins. Rows
stored from REST bodies before that are recognised by the facts only GraphQL gives: an order line's discounted unit
price, a fulfilment's display status, a refund's total, an order transaction's shop-currency amount, and the refund
of a refund transaction (the bulk file cannot say it either). A GraphQL row without such a fact is marked too; that
costs at most one revision when its version is read again. Data only; the downgrade leaves the marks (they are
valid digests for the older code too).

Revision ID: 8d41f0c6e2a3
Revises: 5c1e9a7d2b40
Create Date: 2026-11-27 15:20:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '8d41f0c6e2a3'
down_revision: str | Sequence[str] | None = '5c1e9a7d2b40'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MARK = "content_hash = '-' || substr(content_hash, 2)"
UNMARKED = "content_hash NOT LIKE '-%'"
WHERE_LACKING = {
    "commerce_orders": "EXISTS (SELECT 1 FROM commerce_line_items AS line WHERE line.order_id = commerce_orders.id "
                       "AND line.discounted_unit_price_minor IS NULL)",
    "commerce_fulfillments": "display_status IS NULL",
    "commerce_refunds": "total_refunded_minor IS NULL",
    "commerce_transactions": "resource = 'order_transaction' AND (amount_minor IS NULL "
                             "OR (kind = 'refund' AND refund_gid IS NULL))",
}


def upgrade() -> None:
    for table, lacking in WHERE_LACKING.items():
        op.execute(f"UPDATE {table} SET {MARK} WHERE {UNMARKED} AND {lacking}")


def downgrade() -> None:
    pass
