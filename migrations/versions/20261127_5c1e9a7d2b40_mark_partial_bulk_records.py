"""mark fulfilments stored without lines, and refunds without order adjustments, as partial

Before records from Shopify's bulk file were known to be partial (the file has no room for fulfilment lines or
refund order adjustments), one could win the content-hash tie-break against a complete record of the same version,
and those children were never stored. A fulfilment has at least one line, so a stored one without any is such a
record. A refund without order adjustments may be one, or may be complete: marking it costs at most one revision
when its complete record arrives again, and makes sure the complete record then wins. The marked digests get the
partial mark (`app.commerce.batch.partial_digest`), and the next sync of the order stores what was missing.
Data only; the downgrade leaves the marks (they are valid digests for the older code too).

Revision ID: 5c1e9a7d2b40
Revises: 292da1d1a947
Create Date: 2026-11-27 13:10:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '5c1e9a7d2b40'
down_revision: str | Sequence[str] | None = '292da1d1a947'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE commerce_fulfillments SET content_hash = '-' || substr(content_hash, 2) "
        "WHERE content_hash NOT LIKE '-%' AND NOT EXISTS (SELECT 1 FROM commerce_fulfillment_lines AS line "
        "WHERE line.fulfillment_id = commerce_fulfillments.id)"
    )
    op.execute(
        "UPDATE commerce_refunds SET content_hash = '-' || substr(content_hash, 2) "
        "WHERE content_hash NOT LIKE '-%' AND NOT EXISTS (SELECT 1 FROM commerce_refund_adjustments AS adjustment "
        "WHERE adjustment.refund_id = commerce_refunds.id AND adjustment.kind = 'order_adjustment')"
    )


def downgrade() -> None:
    pass
