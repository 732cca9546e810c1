"""operation attempts: one row per attempt of an action (the operation timeline)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import webapp.database

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('operation_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('started_at', webapp.database.UTCDateTime(), nullable=False),
    sa.Column('ended_at', webapp.database.UTCDateTime(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['action_id'], ['operation_action.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('operation_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_operation_attempt_action_id_id', ['action_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('operation_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_operation_attempt_action_id_id')
    op.drop_table('operation_attempt')
