"""Pausing and resuming an event priority: paused, its events are queued and stored as ever
but nobody takes one (the claim of the Huey task and of a poller, and the sweeper, skip a
paused priority inside their own statements); resumed, every one of them is handed to the
consumers again, once each, oldest first, at its own Huey priority (so high and medium
events waiting meanwhile still go first)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update

from webapp.activity import record_activity
from webapp.database import rows_changed, upsert, utcnow
from webapp.events.models import QUEUED, EventMessage, EventPause
from webapp.events.service import check_priority, enqueue_message
from webapp.extensions import db

#: Rows read at a time while handing a resumed priority's events over.
RESUME_BATCH = 1000


def paused_priorities() -> dict[str, EventPause]:
    """The priorities paused now, by name."""
    return {row.priority: row for row in db.session.scalars(select(EventPause))}


def pause_priority(priority: str, *, by_user_id: int | None = None) -> EventPause:
    """Pause a priority until ``resume_priority``: its events (queued before or meanwhile)
    wait, stored and ``queued``; one already running finishes. Pausing a paused priority
    changes nothing. ValueError for a bad priority. Commits; the pause holds for every
    consumer and poller from its commit on."""
    check_priority(priority)
    stmt = (
        upsert(EventPause)
        .values(priority=priority, paused_at=utcnow(), paused_by=by_user_id)
        .on_conflict_do_nothing()
        .returning(EventPause.priority)
    )
    if db.session.execute(stmt).first() is not None:
        record_activity(
            "events.priority_paused",
            {"priority": priority, "by_user_id": by_user_id},
            f"{priority} events paused",
            system=True,
            private=True,
            commit=False,
        )
    db.session.commit()
    return db.session.get_one(EventPause, priority, populate_existing=True)


def resume_priority(priority: str, *, by_user_id: int | None = None) -> int:
    """Resume a paused priority: every event of it still queued is handed to the consumers
    (each processed once: the claim settles duplicates). How many were handed over; 0 when
    it was not paused. ValueError for a bad priority. Commits."""
    check_priority(priority)
    resumed = rows_changed(
        db.session.execute(delete(EventPause).where(EventPause.priority == priority))
    )
    if not resumed:
        db.session.rollback()
        return 0
    now = utcnow()
    # The sweeper's clock restarts: it would otherwise hand the long-waiting rows over again.
    db.session.execute(
        update(EventMessage)
        .where(
            EventMessage.status == QUEUED,
            EventMessage.priority == priority,
            EventMessage.enqueued_at < now,
        )
        .values(enqueued_at=now)
        .execution_options(synchronize_session=False)
    )
    record_activity(
        "events.priority_resumed",
        {"priority": priority, "by_user_id": by_user_id},
        f"{priority} events resumed",
        system=True,
        private=True,
        commit=False,
    )
    db.session.commit()
    return _hand_over(priority, now)


def _hand_over(priority: str, now: dt.datetime) -> int:
    """Enqueue every queued event of this priority, oldest first (after the resume's commit:
    a crash in between leaves them to the sweeper); a retry still in its delay waits it out."""
    m = EventMessage
    columns = (m.id, m.priority, m.attempts, m.max_attempts, m.retry_delay, m.enqueued_at)
    handed, after = 0, 0
    while True:
        rows = (
            db.session.execute(
                select(*columns)
                .where(m.status == QUEUED, m.priority == priority, m.id > after)
                .order_by(m.id)
                .limit(RESUME_BATCH)
            )
            .mappings()
            .all()
        )
        db.session.commit()  # no transaction held while enqueueing
        for row in rows:
            wait = (row["enqueued_at"] - now).total_seconds()
            # A transient copy (as the consumer's snapshot): what its Huey task is made from.
            message = EventMessage(**{k: v for k, v in row.items() if k != "enqueued_at"})
            handed += enqueue_message(message, delay=wait if wait > 0 else None)
        if len(rows) < RESUME_BATCH:
            return handed
        after = rows[-1]["id"]
