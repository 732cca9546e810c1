"""periodic claims: each periodic task runs once per scheduled minute across consumers

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import webapp.database

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('periodic_claim',
    sa.Column('task', sa.String(length=255), nullable=False),
    sa.Column('tick', webapp.database.UTCDateTime(), nullable=False),
    sa.Column('claimed_by', sa.String(length=255), nullable=False),
    sa.Column('claimed_at', webapp.database.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('task', 'tick')
    )


def downgrade():
    op.drop_table('periodic_claim')
