"""Delivery latency: each activity emitted live to a session is observed once in its
fan-out's histogram; a resume's backlog (a page catching up) is not."""

from __future__ import annotations

from tests.notifications.conftest import record
from tests.support.queue import wait_until


def observed(app) -> float:
    """How many deliveries the app's fan-out histogram holds."""
    (family,) = app.extensions["beacon.fanout"].latency.collect()
    return next(s.value for s in family.samples if s.name.endswith("_count"))


def test_each_live_delivery_to_each_session_is_observed_once(app, live_server, subscriber):
    first, second = live_server.socket(subscriber), live_server.socket(subscriber)
    for sock in (first, second):
        wait_until(lambda sock=sock: sock.of("unread"), message="the session to be ready")
    ids = [record(app, user_id=subscriber.id) for _ in range(3)]
    assert first.wait_for_ids(3) == ids and second.wait_for_ids(3) == ids
    wait_until(lambda: observed(app) == 6, message="six deliveries observed")


def test_a_resume_backlog_is_not_observed(app, live_server, subscriber):
    missed = [record(app, user_id=subscriber.id) for _ in range(2)]
    tail = app.extensions["beacon.fanout"].tail  # released to nobody before the page comes
    wait_until(lambda: tail.horizon >= missed[-1], message="the tail past the missed rows")
    sock = live_server.socket(subscriber, auth={"after": 0})
    assert sock.wait_for_ids(2) == missed
    live = record(app, user_id=subscriber.id)
    assert sock.wait_for_ids(3) == [*missed, live]
    wait_until(lambda: observed(app) == 1, message="the live delivery observed")
    assert observed(app) == 1
