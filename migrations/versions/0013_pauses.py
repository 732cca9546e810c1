"""pauses: paused periodic tasks and event priorities

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import webapp.database

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('periodic_pause',
    sa.Column('task', sa.String(length=255), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('paused_at', webapp.database.UTCDateTime(), nullable=True),
    sa.Column('paused_by', sa.Integer(), nullable=True),
    sa.Column('resumed_at', webapp.database.UTCDateTime(), nullable=True),
    sa.Column('resumed_by', sa.Integer(), nullable=True),
    sa.Column('missed_tick', webapp.database.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['paused_by'], ['user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resumed_by'], ['user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('task')
    )
    op.create_table('event_pause',
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('paused_at', webapp.database.UTCDateTime(), nullable=False),
    sa.Column('paused_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['paused_by'], ['user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('priority')
    )


def downgrade():
    op.drop_table('event_pause')
    op.drop_table('periodic_pause')
