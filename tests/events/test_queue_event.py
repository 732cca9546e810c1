"""queue_event: stores the event and enqueues it after commit; refuses bad input writing nothing."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import func, select

from tests.events import sample_events  # noqa: F401  (registers the sample events)
from tests.support.queue import drain
from webapp.accounts import log_in
from webapp.accounts.models import User
from webapp.events import EventMessage, queue_event
from webapp.extensions import db, huey
from webapp.queue import PRIORITIES


def stored_count() -> int:
    return db.session.scalar(select(func.count()).select_from(EventMessage))


def test_queue_event_stores_a_queued_message_and_enqueues_it(ctx, subscriber):
    message = queue_event("record_label", "high", owner_id=subscriber.id, label="a")
    stored = db.session.get(EventMessage, message.id, populate_existing=True)
    assert (stored.name, stored.priority, stored.status) == ("record_label", "high", "queued")
    assert (stored.params, stored.owner_id, stored.attempts) == ({"label": "a"}, subscriber.id, 0)
    assert huey.pending_count() == 1
    task = huey.dequeue()
    assert (task.args, task.priority) == ((message.id,), PRIORITIES["high"])


def test_priority_defaults_to_medium(ctx):
    assert queue_event("record_label", label="a").priority == "medium"


def test_queued_event_is_processed_by_its_class(ctx):
    sample_events.processed.clear()
    message = queue_event("record_label", label="processed-once")
    drain()
    db.session.refresh(message)
    assert message.status == "done"
    assert sample_events.processed == ["processed-once"]


def test_unknown_event_name_is_refused_and_nothing_written(ctx):
    with pytest.raises(ValueError, match="no_such_event"):
        queue_event("no_such_event", label="a")
    assert (stored_count(), huey.pending_count()) == (0, 0)


@pytest.mark.parametrize("priority", ["urgent", "HIGH", "", None, 30])
def test_bad_priority_is_refused_and_nothing_written(ctx, priority):
    with pytest.raises(ValueError, match="priority"):
        queue_event("record_label", priority, label="a")
    assert (stored_count(), huey.pending_count()) == (0, 0)


@pytest.mark.parametrize("value", [object(), {1, 2}, math.nan, b"bytes"])
def test_non_json_params_are_refused_and_nothing_written(ctx, value):
    with pytest.raises(ValueError, match="'label'"):
        queue_event("record_label", label=value)
    assert (stored_count(), huey.pending_count()) == (0, 0)


def test_oversized_params_are_refused_and_nothing_written(ctx):
    with pytest.raises(ValueError, match="bytes"):
        queue_event("record_label", label="x" * 70_000)
    assert (stored_count(), huey.pending_count()) == (0, 0)


def test_unknown_owner_is_refused_and_nothing_written(ctx):
    with pytest.raises(ValueError, match="owner_id 4242"):
        queue_event("record_label", owner_id=4242, label="a")
    assert (stored_count(), huey.pending_count()) == (0, 0)


def test_event_in_a_rolled_back_transaction_is_never_enqueued(ctx):
    queue_event("record_label", commit=False, label="a")
    db.session.rollback()
    assert (stored_count(), huey.pending_count()) == (0, 0)


def test_event_in_the_callers_transaction_is_enqueued_when_it_commits(ctx):
    message = queue_event("record_label", commit=False, label="a")
    assert huey.pending_count() == 0
    db.session.commit()
    assert huey.pending_count() == 1
    assert huey.dequeue().args == (message.id,)


def test_owner_defaults_to_the_logged_in_user(app, subscriber):
    with app.test_request_context("/", method="POST"):
        log_in(db.session.get(User, subscriber.id))
        message = queue_event("record_label", label="a")
        assert db.session.get(EventMessage, message.id).owner_id == subscriber.id
