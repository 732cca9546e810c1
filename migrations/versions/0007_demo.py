"""demo: connected accounts of the demo application

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 19:28:44.925943

"""
from alembic import op
import sqlalchemy as sa

import webapp.database

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('connected_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('service', sa.String(length=50), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('token_expires_at', webapp.database.UTCDateTime(), nullable=False),
    sa.Column('last_synced_at', webapp.database.UTCDateTime(), nullable=True),
    sa.Column('created_at', webapp.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'service', name='uq_connected_account_user_service')
    )
    op.create_index('ix_connected_account_status', 'connected_account', ['status'], unique=False)


def downgrade():
    op.drop_index('ix_connected_account_status', table_name='connected_account')
    op.drop_table('connected_account')
