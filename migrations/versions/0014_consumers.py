"""consumers: the heartbeat each Huey consumer process writes

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import webapp.database

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'consumer',
        sa.Column('id', sa.String(length=300), nullable=False),
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('workers', sa.Integer(), nullable=False),
        sa.Column('worker_type', sa.String(length=20), nullable=False),
        sa.Column('periodic', sa.Boolean(), nullable=False),
        sa.Column('started_at', webapp.database.UTCDateTime(), nullable=False),
        sa.Column('last_seen_at', webapp.database.UTCDateTime(), nullable=False),
        sa.Column('stopped_at', webapp.database.UTCDateTime(), nullable=True),
        sa.Column('running', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_consumer_last_seen_at', 'consumer', ['last_seen_at'], unique=False)


def downgrade():
    op.drop_index('ix_consumer_last_seen_at', table_name='consumer')
    op.drop_table('consumer')
