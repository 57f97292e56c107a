"""mark fulfilments stored without lines as partial

Before fulfilments from Shopify's bulk file were known to be partial (the file has no room for their lines), one
could win the content-hash tie-break against a complete record of the same version, and its lines were never
stored. A fulfilment has at least one line, so a stored one without any is such a partial record: its digest gets
the partial mark (`app.commerce.batch.partial_digest`), and the next sync of the order stores its lines.
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


def downgrade() -> None:
    pass
