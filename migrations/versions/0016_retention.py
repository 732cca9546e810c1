"""retention: indexes the retention of operations, events and job statuses reads

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import webapp.database

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

# The newest failure of each name is kept: retention looks up a later one in these (partial:
# only failed rows, so the writes of every other state never touch them).
INDEXES = [
    ('ix_operation_failed_name', 'operation', ['name', 'failed_at'], "state = 'failed'"),
    ('ix_event_message_failed_name', 'event_message', ['name', 'finished_at'], "status = 'failed'"),
    ('ix_job_status_failed_task', 'job_status', ['task', 'finished_at'], "status = 'failed'"),
]


def upgrade():
    for name, table, columns, where in INDEXES:
        op.create_index(
            name,
            table,
            columns,
            unique=False,
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )


def downgrade():
    for name, table, _columns, _where in reversed(INDEXES):
        op.drop_index(name, table_name=table)
