"""activity: the newest success and error of each periodic task, kept by triggers

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 21:50:00.000000

"""
from alembic import op
import sqlalchemy as sa

import webapp.database
from webapp.activity.models import (
    PERIODIC_OUTCOME_POSTGRES_DROP,
    PERIODIC_OUTCOME_POSTGRES_TRIGGERS,
    PERIODIC_OUTCOME_SQLITE_DROP,
    PERIODIC_OUTCOME_SQLITE_TRIGGERS,
    PERIODIC_OUTCOME_REBUILD,
)

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('periodic_outcome',
    sa.Column('task', sa.String(length=255), nullable=False),
    sa.Column('outcome', sa.Boolean(), nullable=False),
    sa.Column('activity_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', webapp.database.UTCDateTime(), nullable=False),
    sa.Column('key', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('task', 'outcome')
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        # No activity may be written between the backfill and the triggers taking over.
        op.execute("LOCK TABLE activity IN SHARE ROW EXCLUSIVE MODE")
    for statement in PERIODIC_OUTCOME_POSTGRES_TRIGGERS if postgresql else PERIODIC_OUTCOME_SQLITE_TRIGGERS:
        op.execute(statement)
    # The backfill: each task's newest success and error so far.
    for statement in PERIODIC_OUTCOME_REBUILD:
        op.execute(statement)


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in PERIODIC_OUTCOME_POSTGRES_DROP if postgresql else PERIODIC_OUTCOME_SQLITE_DROP:
        op.execute(statement)
    op.drop_table('periodic_outcome')
