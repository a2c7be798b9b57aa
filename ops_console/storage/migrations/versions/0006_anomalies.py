"""anomaly: the alert lifecycle columns; payment / tracking_update: received and applied stamps

Revision ID: 0003_anomalies
Revises: 0002
Create Date: 2026-12-03 07:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import ops_console.storage.types

revision = '0003_anomalies'
down_revision = '0003_intake'
branch_labels = None
depends_on = None


def _dt(name: str) -> sa.Column:
    return sa.Column(name, ops_console.storage.types.UTCDateTime(timezone=True), nullable=True)


def upgrade() -> None:
    with op.batch_alter_table('anomaly', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('amount', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('acknowledged_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(_dt('acknowledged_at'))
        batch_op.add_column(sa.Column('escalated_to', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(_dt('escalated_at'))
        batch_op.add_column(sa.Column('silenced_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('silence_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch_op.add_column(sa.Column('resolved_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(_dt('resolved_at'))
        batch_op.add_column(sa.Column('customer_informed', sa.Boolean(), nullable=True))
        batch_op.create_index(batch_op.f('ix_anomaly_key'), ['key'], unique=False)
    for table in ('payment', 'tracking_update'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(_dt('received_at'))
            batch_op.add_column(_dt('applied_at'))


def downgrade() -> None:
    for table in ('tracking_update', 'payment'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('applied_at')
            batch_op.drop_column('received_at')
    with op.batch_alter_table('anomaly', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_anomaly_key'))
        for name in ('customer_informed', 'resolved_at', 'resolved_by', 'silence_reason', 'silenced_by',
                     'escalated_at', 'escalated_to', 'acknowledged_at', 'acknowledged_by', 'amount', 'subject',
                     'key'):
            batch_op.drop_column(name)
