"""bulk runs read one file per phase (orders, then fulfilments, refunds and returns)

Revision ID: c7e2a9b4d150
Revises: 8d41f0c6e2a3
Create Date: 2026-11-27 15:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c7e2a9b4d150'
down_revision: str | Sequence[str] | None = '8d41f0c6e2a3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('shopify_bulk_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phase', sa.String(length=24), server_default='orders', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('shopify_bulk_runs', schema=None) as batch_op:
        batch_op.drop_column('phase')
