"""Pollers per priority (`flask events poll --queues ...`): they take only their priorities,
highest then oldest first, share the claim with Huey consumers, and stop gracefully."""

from __future__ import annotations

import os
import signal

import pytest
from sqlalchemy import select

from tests.events import sample_events
from tests.support.queue import drain, wait_until
from webapp.events import EventMessage, queue_event
from webapp.events.poller import Poller
from webapp.extensions import db


@pytest.fixture
def app_settings() -> dict:
    return {"BEACON_EVENT_RETRIES": 2, "BEACON_EVENT_RETRY_DELAY": 0}


@pytest.fixture(autouse=True)
def _clear_processed():
    sample_events.processed.clear()


def status_of(message_id: int) -> str:
    status = db.session.scalar(select(EventMessage.status).where(EventMessage.id == message_id))
    db.session.commit()
    return status


def test_poller_takes_only_the_priorities_it_serves(ctx):
    ids = {p: queue_event("record_label", p, label=p).id for p in ("low", "medium", "high")}
    result = ctx.test_cli_runner().invoke(
        args=["events", "poll", "--queues", "low", "--until-idle"]
    )
    assert result.exit_code == 0, result.output
    assert sample_events.processed == ["low"]
    assert [status_of(ids[p]) for p in ("high", "medium")] == ["queued", "queued"]


def test_poller_takes_highest_priority_first_and_oldest_first_within_it(ctx):
    for label in ("low-1", "medium-1", "high-1", "high-2", "medium-2"):
        queue_event("record_label", label.split("-")[0], label=label)
    assert Poller("high,medium,low").run(until_idle=True) == 5
    assert sample_events.processed == ["high-1", "high-2", "medium-1", "medium-2", "low-1"]


def test_event_a_poller_processed_is_skipped_by_its_huey_task(ctx):
    message = queue_event("record_label", "high", label="once")
    Poller("high").run(until_idle=True)
    assert drain() == 1
    assert sample_events.processed == ["once"]
    assert status_of(message.id) == "done"


def test_poller_retries_a_failing_event_after_its_delay(ctx):
    message = queue_event("flaky", "high", failures=1, label="second attempt")
    Poller("high").run(until_idle=True)
    stored = db.session.get(EventMessage, message.id, populate_existing=True)
    assert (stored.status, stored.attempts) == ("done", 2)


@pytest.mark.parametrize("queues", ["urgent", "high,urgent", ""])
def test_poller_refuses_unknown_priorities(ctx, queues):
    result = ctx.test_cli_runner().invoke(args=["events", "poll", "--queues", queues])
    assert result.exit_code != 0
    assert "invalid priorities" in result.output


@pytest.mark.backends("sqlite")  # signal handling; the claim is covered on both backends
def test_sigterm_lets_the_polled_event_finish_and_takes_no_new_one(
    ctx, backend, processes, tmp_path
):
    release, log = tmp_path / "release", tmp_path / "poller.log"
    running = queue_event("wait_for_release", "high", release=str(release))
    env = {**backend.env(), "BEACON_EXTRA_TASK_MODULES": "tests.events.sample_events"}
    # The poller finds the sample events through tasks/__init__.py's extra-modules hook.
    args = ["-m", "flask", "--app", "webapp", "events", "poll", "--queues", "high"]
    proc = processes.python([*args, "--interval", "0.05"], env, log=log)
    wait_until(lambda: status_of(running.id) == "processing", message="the event to start")
    waiting = queue_event("record_label", "high", label="after the signal")

    os.kill(proc.pid, signal.SIGTERM)
    wait_until(lambda: "stop requested" in log.read_text(), message="the stop request")
    release.touch()

    assert proc.wait(timeout=30) == 0, log.read_text()
    assert status_of(running.id) == "done"
    assert status_of(waiting.id) == "queued"
