"""Real `huey_consumer tasks.huey` processes: an event enqueued several times is processed by
exactly one of two consumers, and a consumer told to stop finishes its event and takes no new
one."""

from __future__ import annotations

import os
import signal

from sqlalchemy import select

from tests.events import sample_events  # noqa: F401  (registers the sample events here too)
from tests.support.queue import wait_until
from webapp.events import EventMessage, queue_event
from webapp.events.service import enqueue_message
from webapp.extensions import db, huey


def consumer_env(backend) -> dict[str, str]:
    return {**backend.env(), "BEACON_EXTRA_TASK_MODULES": "tests.events.sample_events"}


def status_of(message_id: int) -> str:
    status = db.session.scalar(select(EventMessage.status).where(EventMessage.id == message_id))
    db.session.commit()  # end the read: on SQLite it holds the write lock the consumers need
    return status


def test_two_consumers_process_an_event_enqueued_four_times_once(ctx, backend, processes, tmp_path):
    path = tmp_path / "lines.txt"
    message = queue_event("append_line", path=str(path), label="once", hold=0.3)
    for _ in range(3):
        enqueue_message(message)
    env = consumer_env(backend)
    processes.consumer(env, workers=2, log=tmp_path / "consumer-1.log")
    processes.consumer(env, workers=2, log=tmp_path / "consumer-2.log")

    wait_until(lambda: status_of(message.id) == "done", message="the event to be done")
    wait_until(lambda: huey.pending_count() == 0, message="every copy to be taken")
    # Once done, no copy can claim it again: the file is final.
    assert len(path.read_text().splitlines()) == 1


def test_sigterm_lets_the_running_event_finish_and_takes_no_new_one(
    ctx, backend, processes, tmp_path
):
    release = tmp_path / "release"
    log = tmp_path / "consumer.log"
    running = queue_event("wait_for_release", release=str(release))
    proc = processes.consumer(consumer_env(backend), workers=1, log=log)
    wait_until(lambda: status_of(running.id) == "processing", message="the event to start")
    waiting = queue_event("record_label", label="after the signal")

    os.kill(proc.pid, signal.SIGTERM)
    wait_until(lambda: "Shutting down gracefully" in log.read_text(), message="the stop")
    release.touch()

    assert proc.wait(timeout=30) == 0
    assert status_of(running.id) == "done"
    assert status_of(waiting.id) == "queued"
    assert huey.pending_count() == 1
