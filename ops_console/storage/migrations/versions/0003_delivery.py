"""delivery: courier cash float, service request reason code, deadlines and refund courier

Revision ID: 0003_delivery
Revises: 0002
Create Date: 2026-12-03 07:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import ops_console.storage.types

revision = '0003_delivery'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('courier', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cash_float', sa.Integer(), nullable=True))
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason_code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False,
                                      server_default='other'))
        batch_op.add_column(sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('contact_due_at', ops_console.storage.types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('refund_due_at', ops_console.storage.types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('courier_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('status_changed_at', ops_console.storage.types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.create_foreign_key('fk_service_request_courier_id', 'courier', ['courier_id'], ['id'])
        batch_op.create_index('ix_service_request_status', ['status'], unique=False)
    # The defaults only filled existing rows; the models give every new row its values.
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.alter_column('reason_code', server_default=None)
        batch_op.alter_column('created_by', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.drop_index('ix_service_request_status')
        batch_op.drop_constraint('fk_service_request_courier_id', type_='foreignkey')
        batch_op.drop_column('status_changed_at')
        batch_op.drop_column('courier_id')
        batch_op.drop_column('refund_due_at')
        batch_op.drop_column('contact_due_at')
        batch_op.drop_column('created_by')
        batch_op.drop_column('reason_code')
    with op.batch_alter_table('courier', schema=None) as batch_op:
        batch_op.drop_column('cash_float')
