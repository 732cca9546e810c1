"""Retention of operations: finished ones (completed, failed, cancelled) that ended more than
OPERATION_RETENTION_DAYS ago are deleted with their actions (the foreign key cascades), except
the newest failure of each operation name, so the admin pages still show its error. And the
deletion of one finished operation (an admin's bulk delete)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.sql.elements import ColumnElement

from webapp.activity.retention import delete_in_batches, later_failure, register_retention
from webapp.database import check_id, rows_changed
from webapp.extensions import db
from webapp.operations.models import CANCELLED, COMPLETED, FAILED, Operation

OPERATIONS = Operation.__table__
_c = OPERATIONS.c


#: A later failure of the same name exists: the newest one of each name stays.
_later_failure = later_failure(OPERATIONS, "state", "failed_at")


def finished_before(cutoff: dt.datetime) -> ColumnElement[bool]:
    """Operations that ended before ``cutoff`` and may go: each state by its own end time.

    ``created_at < cutoff`` holds for every one of them (an operation ends after it starts);
    it lets the scan start from ``ix_operation_created_at`` and stay among old rows.
    """
    return and_(
        _c.created_at < cutoff,
        or_(
            and_(_c.state == COMPLETED, _c.completed_at < cutoff),
            and_(_c.state == CANCELLED, _c.cancelled_at < cutoff),
            and_(
                _c.state == FAILED,
                _c.failed_at < cutoff,
                later_failure(OPERATIONS, "state", "failed_at"),
            ),
        ),
    )


def purge_finished_operations(cutoff: dt.datetime, batch_size: int) -> int:
    """Delete operations (and their actions) that finished before ``cutoff``, the newest
    failure of each name kept; one transaction per batch. Returns how many operations went."""
    doomed = finished_before(cutoff)
    candidates = select(_c.id).where(doomed).order_by(_c.created_at).limit(batch_size)

    def delete_batch(ids: list[int]) -> int:
        return rows_changed(db.session.execute(delete(OPERATIONS).where(_c.id.in_(ids), doomed)))

    return delete_in_batches(candidates, delete_batch)


def delete_operation(op_id: int) -> None:
    """Delete a finished (completed, failed or cancelled) operation with its actions and their
    attempts; its activities stay in the log. ValueError if it is unknown or has not
    finished (nothing is deleted)."""
    check_id(op_id, "operation id")
    finished = _c.state.in_((COMPLETED, FAILED, CANCELLED))
    if rows_changed(db.session.execute(delete(OPERATIONS).where(_c.id == op_id, finished))) != 1:
        db.session.rollback()
        raise ValueError(f"operation {op_id} is unknown or has not finished: not deleted")
    db.session.commit()


register_retention("operations", "OPERATION_RETENTION_DAYS", purge_finished_operations)
