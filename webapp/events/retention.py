"""Retention of events: processed (done, halted) and failed events that finished more than
EVENT_RETENTION_DAYS ago are deleted, except the newest failure of each event name, so the
admin pages still show its error. Queued and processing events are never touched."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.sql.elements import ColumnElement

from webapp.activity.retention import delete_in_batches, later_failure, register_retention
from webapp.database import check_id, rows_changed
from webapp.events.models import DONE, FAILED, HALTED, EventMessage
from webapp.extensions import db

EVENTS = EventMessage.__table__
_c = EVENTS.c
#: The states an event does not leave on its own (``retry_event`` may queue a failed one again).
FINISHED = (DONE, HALTED, FAILED)


def finished_before(cutoff: dt.datetime) -> ColumnElement[bool]:
    """Events that finished before ``cutoff`` and may go.

    ``enqueued_at < cutoff`` holds for every one of them (an attempt finishes after it was
    enqueued); it lets the scan use ``ix_event_message_status_enqueued_at``.
    """
    return and_(
        _c.status.in_(FINISHED),
        _c.enqueued_at < cutoff,
        _c.finished_at < cutoff,
        or_(_c.status != FAILED, later_failure(EVENTS, "status", "finished_at")),
    )


def purge_finished_events(cutoff: dt.datetime, batch_size: int) -> int:
    """Delete events that finished before ``cutoff``, the newest failure of each name kept;
    one transaction per batch. Returns how many went."""
    doomed = finished_before(cutoff)
    candidates = select(_c.id).where(doomed).limit(batch_size)

    def delete_batch(ids: list[int]) -> int:
        return rows_changed(db.session.execute(delete(EVENTS).where(_c.id.in_(ids), doomed)))

    return delete_in_batches(candidates, delete_batch)


def delete_event(message_id: int) -> None:
    """Delete a finished (done, halted or failed) event; its activities stay in the log.
    ValueError if it is unknown or has not finished (nothing is deleted)."""
    check_id(message_id, "event id")
    gone = db.session.execute(delete(EVENTS).where(_c.id == message_id, _c.status.in_(FINISHED)))
    if rows_changed(gone) != 1:
        db.session.rollback()
        raise ValueError(f"event {message_id} is unknown or has not finished: not deleted")
    db.session.commit()


register_retention("events", "EVENT_RETENTION_DAYS", purge_finished_events)
