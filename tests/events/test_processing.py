"""Processing: one claim per event, failures recorded and retried through Huey, halting
filters, admin retries, and the sweeper that recovers events a crash left behind."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from sqlalchemy import select

from tests.events import sample_events
from tests.support.queue import drain
from webapp.activity import PERIODIC_TASKS, Activity, StatusChecker
from webapp.database import utcnow
from webapp.events import EventMessage, queue_event, retry_event, sweep_events
from webapp.events.service import enqueue_message, events_sweep
from webapp.extensions import db, huey


@pytest.fixture
def app_settings() -> dict:
    return {"BEACON_EVENT_RETRIES": 2, "BEACON_EVENT_RETRY_DELAY": 0}


@pytest.fixture(autouse=True)
def _clear_processed():
    sample_events.processed.clear()


def fresh(message: EventMessage) -> EventMessage:
    return db.session.get(EventMessage, message.id, populate_existing=True)


def run_one_task() -> None:
    huey.execute(huey.dequeue())


def test_event_enqueued_twice_is_processed_once(ctx, tmp_path):
    path = tmp_path / "lines.txt"
    message = queue_event("append_line", path=str(path), label="once")
    enqueue_message(message)
    assert huey.pending_count() == 2
    assert drain() == 2
    assert path.read_text().splitlines() == [f"once {os.getpid()}"]
    assert (fresh(message).status, fresh(message).attempts) == ("done", 1)


def test_processing_records_times_consumer_and_task(ctx):
    message = queue_event("record_label", label="a")
    task_id = huey.pending()[0].id
    drain()
    done = fresh(message)
    assert done.started_at <= done.finished_at
    assert done.consumer.split(":")[1] == str(os.getpid())
    assert done.task_id == task_id


def test_failed_attempt_with_retries_left_goes_back_to_queued_with_its_error(ctx):
    message = queue_event("flaky", failures=1, label="flaky")
    run_one_task()
    stored = fresh(message)
    assert (stored.status, stored.attempts) == ("queued", 1)
    assert stored.error_message == "RuntimeError: flaky failure on attempt 1"
    assert "raise RuntimeError" in stored.stack_trace
    assert huey.pending_count() == 1  # Huey's retry, which claims it again


def test_failing_event_is_retried_until_it_succeeds(ctx):
    message = queue_event("flaky", failures=2, label="third time")
    drain()
    stored = fresh(message)
    assert (stored.status, stored.attempts) == ("done", 3)
    assert sample_events.processed == ["third time"]
    assert stored.error_message == "RuntimeError: flaky failure on attempt 2"


def test_event_failing_every_attempt_ends_failed_with_error_and_trace(ctx):
    message = queue_event("broken")
    drain()
    stored = fresh(message)
    assert (stored.status, stored.attempts) == ("failed", 3)
    assert stored.error_message == "ValueError: broken on purpose"
    assert 'raise ValueError("broken on purpose")' in stored.stack_trace
    assert stored.finished_at is not None
    assert huey.pending_count() == 0 and huey.scheduled_count() == 0


def test_failed_event_records_an_activity_for_its_owner(ctx, subscriber):
    message = queue_event("broken", owner_id=subscriber.id)
    drain()
    activity = db.session.scalar(select(Activity).where(Activity.key == "event.failed"))
    assert (activity.user_id, activity.system, activity.value) == (subscriber.id, True, False)
    assert (activity.subject_type, activity.subject_id) == ("event_message", str(message.id))
    assert "broken on purpose" in activity.message


def test_retrying_event_records_no_failure_activity(ctx):
    queue_event("flaky", failures=1, label="a")
    drain()
    assert db.session.scalar(select(Activity).where(Activity.key == "event.failed")) is None


def test_event_class_retries_setting_overrides_the_default(ctx):
    class OnceOnlyBrokenEvent(sample_events.BrokenEvent):
        retries = 0

    message = queue_event("once_only_broken")
    drain()
    assert (fresh(message).status, fresh(message).attempts) == ("failed", 1)


def test_before_filter_returning_false_halts_the_event(ctx):
    message = queue_event("guarded", allowed=False, label="blocked")
    drain()
    assert fresh(message).status == "halted"
    assert sample_events.processed == []


def test_before_filter_returning_true_lets_the_event_run(ctx):
    message = queue_event("guarded", allowed=True, label="allowed")
    drain()
    assert fresh(message).status == "done"
    assert sample_events.processed == ["allowed"]


def test_retry_event_queues_a_failed_event_with_fresh_retries(ctx):
    message = queue_event("flaky", failures=3, label="after retry")
    drain()
    assert (fresh(message).status, fresh(message).attempts) == ("failed", 3)
    retry_event(message.id)
    assert fresh(message).status == "queued"
    drain()
    assert (fresh(message).status, fresh(message).attempts) == ("done", 4)


@pytest.mark.parametrize("outcome", ["queued", "done"])
def test_retry_event_refuses_an_event_that_has_not_failed(ctx, outcome):
    message = queue_event("record_label", label="a")
    if outcome == "done":
        drain()
    with pytest.raises(ValueError, match=f"is {outcome}"):
        retry_event(message.id)


@pytest.mark.parametrize("bad_id", [999_999, "1", None, True])
def test_retry_event_refuses_an_unknown_id(ctx, bad_id):
    with pytest.raises(ValueError, match="no event"):
        retry_event(bad_id)


def stranded_event(**values) -> EventMessage:
    """A committed row with no Huey task, as a crash after the commit leaves it."""
    message = EventMessage(name="record_label", params={"label": "stranded"}, **values)
    db.session.add(message)
    db.session.commit()
    return message


def test_sweeper_enqueues_a_queued_event_whose_task_was_lost(ctx):
    old = utcnow() - dt.timedelta(seconds=ctx.config["BEACON_EVENT_SWEEP_AFTER"] + 1)
    message = stranded_event(enqueued_at=old, max_attempts=3)
    assert sweep_events() == 1
    drain()
    assert fresh(message).status == "done"
    assert sample_events.processed == ["stranded"]


def test_sweeper_leaves_recently_queued_events_alone(ctx):
    queue_event("record_label", label="fresh")
    assert sweep_events() == 0
    assert huey.pending_count() == 1


def test_sweeper_retries_an_attempt_whose_consumer_died(ctx):
    started = utcnow() - dt.timedelta(seconds=ctx.config["BEACON_EVENT_LEASE"] + 1)
    message = stranded_event(status="processing", attempts=1, max_attempts=3, started_at=started)
    assert sweep_events() == 1
    drain()
    stored = fresh(message)
    assert (stored.status, stored.attempts) == ("done", 2)
    assert stored.error_message.startswith("consumer lost")


def test_sweeper_fails_a_lost_attempt_with_no_retries_left(ctx):
    started = utcnow() - dt.timedelta(seconds=ctx.config["BEACON_EVENT_LEASE"] + 1)
    message = stranded_event(status="processing", attempts=1, max_attempts=1, started_at=started)
    assert sweep_events() == 0
    assert fresh(message).status == "failed"


def test_periodic_sweeper_sweeps_and_records_its_health(ctx):
    old = utcnow() - dt.timedelta(seconds=ctx.config["BEACON_EVENT_SWEEP_AFTER"] + 1)
    stranded_event(enqueued_at=old)
    assert events_sweep.call_local() == 1
    assert PERIODIC_TASKS["events_sweep"].period == dt.timedelta(minutes=1)
    assert StatusChecker("events_sweep").health() == "up"
