"""orders: index (courier_id, status) so the header counts only what each courier carries now;
delivery: index on dispatched_at, the couriers who worked on a business day (expected cash)

Revision ID: 0008_closeout2
Revises: 0003_closeout
Create Date: 2026-12-03 08:25:00
"""

from __future__ import annotations

from alembic import op

revision = '0008_closeout2'
down_revision = '0003_closeout'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_courier_status', ['courier_id', 'status'], unique=False)
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_dispatched_at'), ['dispatched_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_dispatched_at'))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_courier_status')
