"""Huey wiring: tasks enqueued by the web side run in a real consumer inside an app context,
and priorities are honoured, on SqliteHuey and on PriorityRedisHuey."""

from __future__ import annotations

import signal
import threading

from flask import current_app, has_app_context

from tests.support.queue import running_consumer, wait_until
from webapp.extensions import huey
from webapp.queue import PRIORITIES

seen: list[tuple[str, bool, str | None]] = []
seen_lock = threading.Lock()


@huey.task()
def record_context(label: str) -> str:
    with seen_lock:
        seen.append((label, has_app_context(), current_app.config.get("BEACON_HUEY_NAME")))
    return label


def test_task_enqueued_by_a_request_runs_in_consumer_with_app_context(app, backend):
    seen.clear()

    @app.route("/_test/enqueue")
    def enqueue_view():
        record_context("from-request")
        return "queued"

    assert app.test_client().get("/_test/enqueue").status_code == 200
    with running_consumer(workers=2):
        wait_until(lambda: seen, message="the task to run")
    assert seen == [("from-request", True, backend.settings["BEACON_HUEY_NAME"])]


def test_storage_follows_backend(app, backend):
    expected = "PriorityRedisStorage" if backend.uses_redis else "SqliteStorage"
    assert type(huey.storage).__name__ == expected


def test_priorities_run_high_then_medium_then_low(app):
    seen.clear()
    for label in ("low-1", "medium-1", "high-1", "low-2", "medium-2", "high-2"):
        priority = PRIORITIES[label.split("-")[0]]
        huey.enqueue(record_context.s(label, priority=priority))
    with running_consumer(workers=1):
        wait_until(lambda: len(seen) == 6, message="six tasks")
    assert [label for label, *_ in seen] == [
        "high-1",
        "high-2",
        "medium-1",
        "medium-2",
        "low-1",
        "low-2",
    ]


def test_a_consumer_started_beside_its_host_leaves_the_hosts_signal_handlers(app):
    def host_handler(signum, frame):
        pass

    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGHUP)}
    original = signal.signal(signal.SIGTERM, host_handler)
    try:
        with running_consumer(workers=1):
            assert signal.getsignal(signal.SIGTERM) is host_handler
            assert {s: signal.getsignal(s) for s in before} == before
    finally:
        signal.signal(signal.SIGTERM, original)
