"""argument search: indexes for searching jobs and events by argument values

PostgreSQL: GIN indexes (jsonb_path_ops) on operation.globals, event_message.params and
job_status_field.value, which answer ``@>``. SQLite: a term table per searchable document
(``webapp.json_terms``), kept by triggers and filled here from the rows already there. The
term tables exist on both databases (the models and the migrations stay alike); on
PostgreSQL nothing fills them. Likewise the GIN indexes exist on SQLite, empty (WHERE 0): a
plain index there; nothing reads it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import webapp.database
from webapp.events.search import SOURCE as EVENT_SOURCE
from webapp.jobs.search import SOURCE as JOB_SOURCE
from webapp.operations.search import SOURCE as OPERATION_SOURCE

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# (term table, its row id's type, the row it belongs to), and the GIN indexes.
TERM_TABLES = [
    ('operation_term', sa.Integer(), 'operation.id', OPERATION_SOURCE),
    ('event_message_term', sa.Integer(), 'event_message.id', EVENT_SOURCE),
    ('job_status_term', sa.String(length=64), 'job_status.id', JOB_SOURCE),
]
GIN_INDEXES = [
    ('ix_operation_globals', 'operation', 'globals'),
    ('ix_event_message_params', 'event_message', 'params'),
    ('ix_job_status_field_value', 'job_status_field', 'value'),
]


def upgrade():
    for name, row_type, row_of, _source in TERM_TABLES:
        op.create_table(name,
        sa.Column('row_id', row_type, nullable=False),
        sa.Column('part', sa.String(length=255), server_default='', nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('value', sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(['row_id'], [row_of], ondelete='CASCADE'),
        )
        op.create_index(f'ix_{name}_key_value_row', name, ['key', 'value', 'row_id'], unique=False)
        op.create_index(f'ix_{name}_row_part', name, ['row_id', 'part'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        for index, table, column in GIN_INDEXES:
            op.create_index(index, table, [column], unique=False, postgresql_using='gin',
                            postgresql_ops={column: 'jsonb_path_ops'})
        return
    for index, table, column in GIN_INDEXES:
        # As the models have it: empty on SQLite (WHERE 0), where the term tables answer.
        op.create_index(index, table, [column], unique=False, sqlite_where=sa.text('0'))
    for _name, _row_type, _row_of, source in TERM_TABLES:
        for statement in source.triggers():
            op.execute(statement)
        op.execute(source.backfill())


def downgrade():
    for index, table, _column in GIN_INDEXES:
        op.drop_index(index, table_name=table)
    if op.get_bind().dialect.name != 'postgresql':
        for _name, _row_type, _row_of, source in TERM_TABLES:
            for statement in source.drops():
                op.execute(statement)
    for name, _row_type, _row_of, _source in reversed(TERM_TABLES):
        op.drop_index(f'ix_{name}_row_part', table_name=name)
        op.drop_index(f'ix_{name}_key_value_row', table_name=name)
        op.drop_table(name)
