"""A coalescer lets a key's first value out at once, collapses a burst inside the interval
into its latest, and always lets the latest out: by its own thread, or through ``due()``."""

from __future__ import annotations

import threading
import time

from tests.support.queue import wait_until
from webapp.coalesce import Coalescer


def recorder():
    sent: list[tuple[object, object]] = []
    lock = threading.Lock()

    def send(key, value):
        with lock:
            sent.append((key, value))

    return sent, send


def test_the_first_value_of_a_key_is_let_out_at_once():
    assert Coalescer(10.0).offer(1, "pending") is True


def test_a_burst_collapses_into_its_latest_which_the_thread_sends():
    sent, send = recorder()
    latest = Coalescer(0.2, send)
    let_out = [latest.offer(7, state) for state in ("pending", "running", "failed", "completed")]
    assert let_out == [True, False, False, False]
    wait_until(lambda: len(sent) == 1, message="the held-back value")
    assert sent == [(7, "completed")]
    assert not latest


def test_keys_are_throttled_separately():
    latest = Coalescer(10.0)
    assert latest.offer(1, "a") and latest.offer(2, "b")
    assert not latest.offer(1, "c")


def test_without_a_send_held_values_wait_for_due():
    latest = Coalescer(0.05)
    latest.offer("job", 1)
    assert not latest.offer("job", 2)
    assert latest.due() == []  # the interval is not up yet
    time.sleep(0.06)
    assert latest.due() == [("job", 2)]
    assert latest.due() == [] and not latest


def test_urgent_goes_out_at_once_and_replaces_what_was_held():
    latest = Coalescer(10.0)
    latest.offer("job", "working 1")
    latest.offer("job", "working 2")
    assert latest.offer("job", "completed", urgent=True)
    assert not latest and latest.last("job") == "completed"


def test_pop_lets_the_held_value_out_now():
    latest = Coalescer(10.0)
    latest.offer("job", 1)
    assert latest.pop("job") is None  # nothing held
    latest.offer("job", 2)
    assert latest.pop("job") == 2 and not latest


def test_without_repeats_a_value_equal_to_the_last_let_out_is_dropped():
    latest = Coalescer(0.01, repeats=False)
    assert latest.offer("job", {"progress": 1})
    time.sleep(0.02)
    assert not latest.offer("job", {"progress": 1})
    latest.offer("job", {"progress": 2})
    latest.offer("job", {"progress": 2})
    assert latest.last("job") == {"progress": 2}


def test_a_held_value_superseded_by_a_repeat_of_the_last_is_not_sent():
    latest = Coalescer(0.05, repeats=False)
    latest.offer("job", "a")
    latest.offer("job", "b")  # held
    latest.offer("job", "a")  # back to what the listeners have: nothing to send
    time.sleep(0.06)
    assert latest.due() == []


def test_only_the_last_keys_let_out_are_remembered():
    latest = Coalescer(10.0, remember=2)
    for key in (1, 2, 3):
        latest.offer(key, key)
    assert [key for key, _ in latest.items()] == [2, 3]
    assert latest.offer(1, "again")  # forgotten, so not throttled


def test_a_failing_send_does_not_stop_the_thread(caplog):
    sent: list[object] = []

    def send(key, value):
        if value == "boom":
            raise RuntimeError(value)
        sent.append(value)

    latest = Coalescer(0.02, send, name="test-coalescer")
    latest.offer("a", 0)
    latest.offer("a", "boom")
    wait_until(lambda: "test-coalescer" in caplog.text, message="the failure logged")
    assert latest.offer("b", "first") and not latest.offer("b", "next")
    wait_until(lambda: sent == ["next"], message="the next value after a failure")
