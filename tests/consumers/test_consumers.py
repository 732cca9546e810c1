"""Consumer heartbeats (who is alive, what each worker runs) and the queue's depth."""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading

from tests.support.queue import drain, running_consumer, wait_until
from webapp.consumers import (
    ALIVE,
    GONE,
    STOPPED,
    ConsumerProcess,
    consumer_list,
    queue_depth,
    write_beat,
)
from webapp.consumers.beat import forget_old
from webapp.database import utcnow
from webapp.extensions import db, huey

_release = threading.Event()


@huey.task(name="tests.consumers.wait_for_release")
def wait_for_release() -> None:
    _release.wait(10)


@huey.task(name="tests.consumers.noop")
def noop() -> None:
    """Does nothing."""


def _mine() -> list:
    db.session.rollback()  # read what the consumer's threads committed
    return [c for c in consumer_list() if c.row.pid == os.getpid()]


def test_a_running_consumer_writes_its_heartbeat_and_a_stopped_one_says_so(ctx):
    with running_consumer(workers=2, periodic=False):
        (view,) = wait_until(_mine, message="a heartbeat")
        assert view.state == ALIVE
        row = view.row
        assert (row.host, row.workers, row.worker_type) == (socket.gethostname(), 2, "thread")
        assert row.periodic is False and row.stopped_at is None
    (view,) = _mine()
    assert view.state == STOPPED and view.row.stopped_at is not None


def test_the_heartbeat_names_the_task_each_busy_worker_runs(ctx):
    _release.clear()
    try:
        with running_consumer(workers=2):
            result = wait_for_release()
            wait_until(lambda: huey.workers.running(), message="the task to start")
            write_beat()
            (view,) = _mine()
            (running,) = view.row.running
            assert running["task"] == "tests.consumers.wait_for_release"
            assert running["task_id"] == result.id
            _release.set()
            wait_until(lambda: not huey.workers.running(), message="the task to end")
            write_beat()
            assert _mine()[0].row.running == []
    finally:
        _release.set()


def _row(pid: int, last_seen: dt.datetime, **extra) -> ConsumerProcess:
    return ConsumerProcess(
        id=f"elsewhere:{pid}:1",
        host="elsewhere",
        pid=pid,
        workers=4,
        worker_type="thread",
        periodic=True,
        started_at=last_seen - dt.timedelta(minutes=5),
        last_seen_at=last_seen,
        running=[],
        **extra,
    )


def test_a_consumer_silent_past_the_gone_setting_shows_as_gone(ctx):
    now = utcnow()
    db.session.add_all(
        [_row(1, now - dt.timedelta(seconds=2)), _row(2, now - dt.timedelta(minutes=1))]
    )
    db.session.commit()
    states = {c.row.pid: c.state for c in consumer_list(now)}
    assert states == {1: ALIVE, 2: GONE}  # BEACON_CONSUMER_GONE_AFTER is 20 s
    assert [c.row.pid for c in consumer_list(now)] == [1, 2]  # the alive ones first


def test_consumers_silent_for_a_day_are_forgotten(ctx):
    now = utcnow()
    db.session.add_all([_row(1, now - dt.timedelta(hours=2)), _row(2, now - dt.timedelta(days=2))])
    db.session.commit()
    assert forget_old(now) == 1
    assert [c.row.pid for c in consumer_list(now)] == [1]


def test_the_queue_depth_counts_pending_tasks_by_priority_and_the_scheduled_ones(ctx):
    huey.flush()
    noop.schedule(delay=3600)
    drain(include_scheduled=False)  # a worker moves a task with an ETA to the schedule
    for priority, count in ((30, 3), (10, 2), (None, 1)):
        for _ in range(count):
            huey.enqueue(noop.s(priority=priority))
    depth = queue_depth()
    assert (depth.pending, depth.scheduled) == (6, 1)
    assert depth.by_priority == {"high": 3, "medium": 0, "low": 2, "normal": 1}
    assert not depth.partial
    assert queue_depth(sample=4).partial  # split over the first 4 only; the total stays exact
    assert queue_depth(sample=4).pending == 6
    drain(include_scheduled=False)
    assert queue_depth().pending == 0
    huey.flush()
