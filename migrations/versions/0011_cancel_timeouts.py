"""cancel and timeouts: job cancel requests, cancelled operations, per-action timeouts

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import webapp.database

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('job_status') as batch:
        batch.add_column(sa.Column('cancel_requested_at', webapp.database.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('cancelled_by', sa.Integer(), nullable=True))
    with op.batch_alter_table('operation') as batch:
        batch.add_column(sa.Column('cancelled_at', webapp.database.UTCDateTime(), nullable=True))
    with op.batch_alter_table('operation_action') as batch:
        batch.add_column(sa.Column('timeout', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('operation_action') as batch:
        batch.drop_column('timeout')
    with op.batch_alter_table('operation') as batch:
        batch.drop_column('cancelled_at')
    with op.batch_alter_table('job_status') as batch:
        batch.drop_column('cancelled_by')
        batch.drop_column('cancel_requested_at')
