"""Retention deletes events that finished (done, halted, failed) before the cutoff, keeping
the newest failure of each name and every event still queued or processing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from webapp.database import utcnow
from webapp.events import EventMessage
from webapp.events.retention import purge_finished_events
from webapp.extensions import db

NOW = utcnow()
CUTOFF = NOW - dt.timedelta(days=30)


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def event(status: str, queued: float, finished: float | None = None, name: str = "hello_world"):
    """An event queued ``queued`` days ago (finished ``finished`` days ago); its id."""
    message = EventMessage(
        name=name,
        params={},
        status=status,
        queued_at=days_ago(queued),
        enqueued_at=days_ago(queued),
        finished_at=None if finished is None else days_ago(finished),
    )
    db.session.add(message)
    db.session.commit()
    return message.id


def remaining() -> set[int]:
    db.session.rollback()
    return set(db.session.scalars(select(EventMessage.id)))


def test_events_finished_before_the_cutoff_are_deleted(ctx):
    event("done", queued=40, finished=40)
    event("halted", queued=50, finished=50)
    event("failed", queued=60, finished=60)
    newest_failure = event("failed", queued=45, finished=45)
    assert purge_finished_events(CUTOFF, 1000) == 3
    assert remaining() == {newest_failure}


def test_recently_finished_events_stay(ctx):
    ids = {
        event("done", queued=2, finished=2),
        event("halted", queued=3, finished=3),
        event("failed", queued=4, finished=1, name="send_email"),
    }
    assert purge_finished_events(CUTOFF, 1000) == 0
    assert remaining() == ids


def test_an_event_queued_long_ago_that_finished_recently_stays(ctx):
    late = event("done", queued=90, finished=1)
    assert purge_finished_events(CUTOFF, 1000) == 0
    assert remaining() == {late}


def test_queued_and_processing_events_stay_however_old(ctx):
    ids = {event("queued", queued=365), event("processing", queued=365)}
    assert purge_finished_events(CUTOFF, 1000) == 0
    assert remaining() == ids


def test_the_newest_failure_of_each_name_stays_however_old(ctx):
    event("failed", queued=200, finished=200, name="send_email")
    newest_email = event("failed", queued=100, finished=100, name="send_email")
    only_hello = event("failed", queued=300, finished=300, name="hello_world")
    assert purge_finished_events(CUTOFF, 1000) == 1
    assert remaining() == {newest_email, only_hello}


def test_batches_smaller_than_the_backlog_delete_it_all(ctx):
    for _ in range(7):
        event("done", queued=40, finished=40)
    assert purge_finished_events(CUTOFF, 3) == 7
    assert remaining() == set()
