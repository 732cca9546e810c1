"""Pausing an event priority: its events are stored and wait, queued, while the other
priorities are processed; resumed, every one of them is processed once, oldest first. Driven
in this thread (``drain``), then once through a real ``huey_consumer`` process."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from tests.events import sample_events
from tests.events.test_consumers import consumer_env, status_of
from tests.support.queue import drain, wait_until
from webapp.events import (
    EventMessage,
    EventPause,
    pause_priority,
    paused_priorities,
    queue_event,
    resume_priority,
    sweep_events,
)
from webapp.events.poller import Poller
from webapp.extensions import db, huey


@pytest.fixture
def app_settings() -> dict:
    return {"BEACON_EVENT_RETRIES": 2, "BEACON_EVENT_RETRY_DELAY": 0}


@pytest.fixture(autouse=True)
def nothing_processed_yet():
    sample_events.processed.clear()


def queue_labels(*labels: str) -> dict[str, int]:
    """Queue a record_label event per "priority-n" label; their ids by label."""
    return {
        label: queue_event("record_label", label.split("-")[0], label=label).id for label in labels
    }


def statuses(ids: dict[str, int]) -> dict[str, str]:
    return {label: status_of(message_id) for label, message_id in ids.items()}


def test_paused_low_events_wait_while_high_and_medium_are_processed(ctx):
    pause_priority("low")
    ids = queue_labels("low-1", "high-1", "medium-1", "low-2")
    drain()
    assert sample_events.processed == ["high-1", "medium-1"]
    assert statuses(ids) == {
        "low-1": "queued",
        "high-1": "done",
        "medium-1": "done",
        "low-2": "queued",
    }
    assert huey.pending_count() == 0  # their Huey tasks came and went: the rows are the truth


def test_resumed_every_waiting_low_event_is_processed_once_oldest_first(ctx):
    pause_priority("low")
    ids = queue_labels("low-1", "low-2", "high-1", "low-3")
    drain()
    assert resume_priority("low") == 3
    drain()
    assert sample_events.processed == ["high-1", "low-1", "low-2", "low-3"]
    assert set(statuses(ids).values()) == {"done"}


def test_resumed_before_its_task_ran_an_event_is_still_processed_once(ctx):
    pause_priority("low")
    ids = queue_labels("low-1")  # its first Huey task is still queued at the resume
    resume_priority("low")
    assert huey.pending_count() == 2
    drain()
    assert sample_events.processed == ["low-1"]
    assert statuses(ids) == {"low-1": "done"}


def test_after_the_resume_higher_priorities_waiting_still_go_first(ctx):
    pause_priority("low")
    queue_labels("low-1", "low-2")
    drain()
    queue_labels("medium-1", "high-1")  # queued, not yet taken, when low resumes
    resume_priority("low")
    drain()
    assert sample_events.processed == ["high-1", "medium-1", "low-1", "low-2"]


def test_a_pause_holds_only_its_own_priority(ctx):
    pause_priority("medium")
    queue_labels("low-1", "medium-1", "high-1")
    drain()
    assert sample_events.processed == ["high-1", "low-1"]
    assert set(paused_priorities()) == {"medium"}


def test_pausing_twice_keeps_the_first_pause_and_resuming_twice_hands_over_once(ctx):
    first = pause_priority("low").paused_at
    assert pause_priority("low").paused_at == first
    queue_labels("low-1")
    drain()
    assert resume_priority("low") == 1
    assert resume_priority("low") == 0
    drain()
    assert sample_events.processed == ["low-1"]


def test_the_sweeper_leaves_a_paused_priority_alone_and_resumes_with_it(ctx):
    pause_priority("low")
    ids = queue_labels("low-1")
    drain()
    long_ago = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    db.session.execute(update(EventMessage).values(enqueued_at=long_ago))
    db.session.commit()
    assert sweep_events() == 0
    assert huey.pending_count() == 0
    resume_priority("low")
    assert sweep_events() == 0  # the resume handed it over: nothing stale to sweep
    drain()
    assert statuses(ids) == {"low-1": "done"}


def test_a_poller_skips_a_paused_priority(ctx):
    pause_priority("low")
    ids = queue_labels("low-1", "high-1")
    assert Poller(["high", "low"], interval=0.01).run(until_idle=True) == 1
    assert statuses(ids) == {"low-1": "queued", "high-1": "done"}
    resume_priority("low")
    assert Poller(["low"], interval=0.01).run(until_idle=True) == 1
    assert sample_events.processed == ["high-1", "low-1"]


def test_a_failed_attempt_of_a_paused_priority_waits_for_the_resume(ctx):
    message = queue_event("flaky", "low", label="flaky", failures=1)
    huey.execute(huey.dequeue())  # the first attempt fails: queued again, Huey's retry queued
    pause_priority("low")
    drain()  # the retry finds the priority paused
    assert status_of(message.id) == "queued"
    resume_priority("low")
    drain()
    assert sample_events.processed == ["flaky"]
    assert status_of(message.id) == "done"


def test_a_retry_still_in_its_delay_keeps_its_delay_when_resumed(ctx):
    pause_priority("low")
    ids = queue_labels("low-1")
    drain()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)  # as a failed attempt's retry
    db.session.execute(update(EventMessage).values(enqueued_at=later))
    db.session.commit()
    assert resume_priority("low") == 1
    drain()  # Huey moves a task whose eta is ahead to its schedule
    assert (huey.pending_count(), huey.scheduled_count()) == (0, 1)
    assert statuses(ids) == {"low-1": "queued"}


@pytest.mark.parametrize("priority", ["urgent", "", "LOW", None, 3])
def test_a_bad_priority_is_refused_and_nothing_is_written(ctx, priority):
    for call in (pause_priority, resume_priority):
        with pytest.raises(ValueError, match="invalid event priority"):
            call(priority)
    assert db.session.scalar(select(func.count()).select_from(EventPause)) == 0


def test_pause_and_resume_are_recorded_as_private_system_activities(ctx):
    from webapp.activity import Activity

    pause_priority("low", by_user_id=None)
    resume_priority("low")
    rows = db.session.execute(
        select(Activity.key, Activity.value, Activity.private)
        .where(Activity.key.startswith("events.priority_"))
        .order_by(Activity.id)
    ).all()
    assert [tuple(r) for r in rows] == [
        ("events.priority_paused", {"priority": "low", "by_user_id": None}, True),
        ("events.priority_resumed", {"priority": "low", "by_user_id": None}, True),
    ]


@pytest.mark.slow
def test_a_consumer_process_holds_paused_low_events_until_the_resume(
    ctx, backend, processes, tmp_path
):
    path = tmp_path / "lines.txt"
    pause_priority("low")
    low = [queue_event("append_line", "low", path=str(path), label=f"low-{n}") for n in range(5)]
    high = queue_event("append_line", "high", path=str(path), label="high")
    processes.consumer(consumer_env(backend), workers=2, log=tmp_path / "consumer.log")

    wait_until(lambda: status_of(high.id) == "done", message="the high event")
    wait_until(lambda: huey.pending_count() == 0, message="every task taken")
    assert {status_of(m.id) for m in low} == {"queued"}
    assert [line.split()[0] for line in path.read_text().splitlines()] == ["high"]

    assert resume_priority("low") == 5
    wait_until(lambda: all(status_of(m.id) == "done" for m in low), message="every low event done")
    labels = sorted(line.split()[0] for line in path.read_text().splitlines())
    assert labels == ["high", *[f"low-{n}" for n in range(5)]]  # each exactly once
