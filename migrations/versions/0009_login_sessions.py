"""accounts: login sessions, so that logging out (or a password change) ends them

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import webapp.database

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', webapp.database.UTCDateTime(), nullable=False),
    sa.Column('expires_at', webapp.database.UTCDateTime(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_index(op.f('ix_login_session_expires_at'), 'login_session', ['expires_at'], unique=False)
    op.create_index(op.f('ix_login_session_user_id'), 'login_session', ['user_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_login_session_user_id'), table_name='login_session')
    op.drop_index(op.f('ix_login_session_expires_at'), table_name='login_session')
    op.drop_table('login_session')
