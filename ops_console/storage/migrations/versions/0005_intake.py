"""orders.remarks: Text instead of VARCHAR(2000), so platform remarks are kept verbatim

Revision ID: 0003_intake
Revises: 0002
Create Date: 2026-12-03 07:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003_intake'
down_revision = '0003_auth'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.alter_column('remarks', existing_type=sa.String(length=2000), type_=sa.Text(),
                              existing_nullable=False)


def downgrade() -> None:
    # Remarks longer than 2,000 characters are cut: the narrower column cannot hold them.
    op.execute("UPDATE orders SET remarks = substr(remarks, 1, 2000) WHERE length(remarks) > 2000")
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.alter_column('remarks', existing_type=sa.Text(), type_=sa.String(length=2000),
                              existing_nullable=False)
