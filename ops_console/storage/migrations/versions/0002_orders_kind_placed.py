"""orders: index (kind, placed_at) for the stores that placed a replenishment order today

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 21:30:00
"""

from __future__ import annotations

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_kind_placed', ['kind', 'placed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_kind_placed')
