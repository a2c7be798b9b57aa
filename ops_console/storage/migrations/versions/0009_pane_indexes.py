"""orders: index in the queue pane's order (status, urgent first, the longest waiting), so its
window is read off the index instead of sorting every unassigned order; and on appointment_at
where there is one (the header's appointments due soon)

Revision ID: 0009_pane_indexes
Revises: 0008_closeout2
Create Date: 2026-12-03 10:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009_pane_indexes'
down_revision = '0008_closeout2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        'ix_orders_queue', 'orders',
        ['status', sa.text('urgent DESC'), sa.text('coalesce(unassigned_at, status_entered_at)'), 'id'],
        unique=False,
    )
    op.create_index(
        'ix_orders_appointment', 'orders', ['appointment_at'], unique=False,
        sqlite_where=sa.text('appointment_at IS NOT NULL'), postgresql_where=sa.text('appointment_at IS NOT NULL'),
    )


def downgrade() -> None:
    op.drop_index('ix_orders_appointment', table_name='orders')
    op.drop_index('ix_orders_queue', table_name='orders')
