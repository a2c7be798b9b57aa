"""orders: index (kind, received_at) for a business day's orders (closeout and reports)

Revision ID: 0003_closeout
Revises: 0002
Create Date: 2026-12-03 07:20:00
"""

from __future__ import annotations

from alembic import op

revision = '0003_closeout'
down_revision = '0003_anomalies'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_kind_received', ['kind', 'received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_kind_received')
