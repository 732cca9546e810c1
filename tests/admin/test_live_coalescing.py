"""An operation's live updates are coalesced: the first goes out at once, a burst inside the
interval collapses into its latest, and the latest always goes out."""

from __future__ import annotations

import threading

from tests.support.queue import wait_until
from webapp.admin.live import LatestOnly


def recorder():
    sent: list[tuple[object, dict]] = []
    lock = threading.Lock()

    def send(app, payload):
        with lock:
            sent.append((app, payload))

    return sent, send


def test_first_update_of_a_key_goes_out_at_once():
    sent, send = recorder()
    LatestOnly(10.0, send).submit("app", 1, {"state": "pending"})
    assert sent == [("app", {"state": "pending"})]


def test_a_burst_collapses_into_its_latest_which_always_goes_out():
    sent, send = recorder()
    latest = LatestOnly(0.2, send)
    for state in ("pending", "running", "pending", "running", "completed"):
        latest.submit("app", 7, {"state": state})
    assert sent == [("app", {"state": "pending"})]
    wait_until(lambda: len(sent) == 2, message="the held-back update")
    assert sent[1] == ("app", {"state": "completed"})


def test_keys_are_throttled_separately():
    sent, send = recorder()
    latest = LatestOnly(10.0, send)
    latest.submit(None, 1, {"id": 1})
    latest.submit(None, 2, {"id": 2})
    assert [payload["id"] for _, payload in sent] == [1, 2]
