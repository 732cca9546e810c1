"""notifications

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 18:36:21.784271

"""
from alembic import op
import sqlalchemy as sa

import webapp.database

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('activity_read',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('read_at', webapp.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'activity_id')
    )
    op.create_table('read_cursor',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('last_read_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('updated_at', webapp.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id')
    )


def downgrade():
    op.drop_table('read_cursor')
    op.drop_table('activity_read')
