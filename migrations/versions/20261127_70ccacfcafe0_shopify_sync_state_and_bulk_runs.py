"""shopify sync state and bulk runs

Revision ID: 70ccacfcafe0
Revises: ba96391d3c7d
Create Date: 2026-11-27 07:04:12.788448
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = '70ccacfcafe0'
down_revision: str | Sequence[str] | None = 'ba96391d3c7d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('shopify_bulk_runs',
    sa.Column('shop_id', sa.Uuid(), nullable=False),
    sa.Column('operation_id', sa.String(length=255), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('shopify_status', sa.String(length=16), nullable=True),
    sa.Column('error_code', sa.String(length=40), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('object_count', sa.BigInteger(), nullable=True),
    sa.Column('root_object_count', sa.BigInteger(), nullable=True),
    sa.Column('lines_committed', sa.BigInteger(), nullable=False),
    sa.Column('bytes_committed', sa.BigInteger(), nullable=False),
    sa.Column('roots_committed', sa.BigInteger(), nullable=False),
    sa.Column('last_root_id', sa.String(length=255), nullable=True),
    sa.Column('orders_applied', sa.BigInteger(), nullable=False),
    sa.Column('orders_stale', sa.BigInteger(), nullable=False),
    sa.Column('orders_unchanged', sa.BigInteger(), nullable=False),
    sa.Column('completed_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_shopify_bulk_runs_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shopify_bulk_runs')),
    sa.UniqueConstraint('operation_id', name=op.f('uq_shopify_bulk_runs_operation_id'))
    )
    with op.batch_alter_table('shopify_bulk_runs', schema=None) as batch_op:
        batch_op.create_index('ix_shopify_bulk_runs_shop_id_status', ['shop_id', 'status'], unique=False)

    op.create_table('shopify_sync_states',
    sa.Column('shop_id', sa.Uuid(), nullable=False),
    sa.Column('orders_watermark', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_sync_started_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_sync_finished_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_sync_orders', sa.Integer(), nullable=False),
    sa.Column('last_sync_error', sa.Text(), nullable=True),
    sa.Column('webhooks_checked_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_shopify_sync_states_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', name=op.f('pk_shopify_sync_states'))
    )


def downgrade() -> None:
    op.drop_table('shopify_sync_states')
    with op.batch_alter_table('shopify_bulk_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_shopify_bulk_runs_shop_id_status')

    op.drop_table('shopify_bulk_runs')
