"""The /notifications namespace with the real python-socketio client against a live server."""

from __future__ import annotations

import random

import pytest
import socketio
from sqlalchemy import select

from tests.conftest import make_user
from tests.notifications.conftest import record
from tests.support.queue import running_consumer, wait_until
from webapp.activity import Activity
from webapp.extensions import db
from webapp.notifications import feed


def expected_ids(app, person, *, include_system=False) -> list[int]:
    with app.app_context():
        cond = feed.visible_condition(
            person.id, include_system=include_system, is_admin=person.role == "admin"
        )
        return list(db.session.scalars(select(Activity.id).where(cond).order_by(Activity.id)))


def test_anonymous_connection_is_refused(live_server):
    with pytest.raises(socketio.exceptions.ConnectionError):
        live_server.socket(None)


def test_each_user_gets_exactly_their_visible_activities_in_order(app, live_server):
    rng = random.Random(11)
    people = [make_user(app, f"u{n}@example.com") for n in range(4)]
    admin = make_user(app, "root@example.com", role="admin")
    sockets = [(p, live_server.socket(p)) for p in people]
    sockets.append((people[0], live_server.socket(people[0])))  # a second tab of user 0
    sockets.append((admin, live_server.socket(admin)))
    with app.app_context():
        from webapp.activity import record_activity

        for _ in range(300):
            owner = rng.choice([*people, admin, None])
            record_activity(
                rng.choice(["sync.completed", "sync.failed", "action.import"]),
                rng.choice([True, False, 3]),
                user_id=owner.id if owner else None,
                system=rng.random() < 0.2,
                private=rng.random() < 0.2,
            )
        # A last visible row per user: delivery is in order, so once it has arrived,
        # anything that should not have been sent would have arrived too.
        for person in [*people, admin]:
            record_activity("sync.completed", user_id=person.id)
    for person, sock in sockets:
        expected = expected_ids(app, person)
        sock.wait_for_ids(len(expected))
        wait_until(lambda s=sock, e=expected: s.ids()[-1:] == e[-1:], message="the last row")
        assert sock.ids() == expected


def test_activities_recorded_by_consumer_threads_arrive_once_in_order(app, live_server, subscriber):
    from tests.notifications.consumer_tasks import record_burst

    sock = live_server.socket(subscriber)
    record_burst(subscriber.id, 40)
    record_burst(subscriber.id, 40)
    with running_consumer(workers=2):
        sock.wait_for_ids(80)
    assert sock.ids() == expected_ids(app, subscriber)


def test_reconnect_with_after_returns_exactly_the_missed_ones(
    app, live_server, subscriber, other_subscriber
):
    session = live_server.login(subscriber)
    first = live_server.socket(session)
    seen = [record(app, user_id=subscriber.id) for _ in range(3)]
    first.wait_for_ids(3)
    first.disconnect()
    missed = [record(app, user_id=subscriber.id) for _ in range(4)]
    record(app, user_id=other_subscriber.id)
    record(app, user_id=subscriber.id, private=True)
    second = live_server.socket(session, auth={"after": seen[-1]})
    assert second.wait_for_ids(4) == missed
    live = record(app, user_id=subscriber.id)
    assert second.wait_for_ids(5) == [*missed, live]


def test_resume_sends_what_was_missed_and_nothing_twice(app, live_server, subscriber):
    before = [record(app, user_id=subscriber.id) for _ in range(2)]
    sock = live_server.socket(subscriber)
    wait_until(lambda: sock.of("unread"), message="the session to be ready")
    after_connect = record(app, user_id=subscriber.id)
    sock.wait_for_ids(1)
    sock.emit("resume", {"after": 0})
    sock.wait_for_ids(3)
    sock.emit("resume", {"after": 0})
    marker = record(app, user_id=subscriber.id)
    sock.wait_for_ids(4)
    assert sock.ids() == [after_connect, *before, marker]


@pytest.mark.parametrize(
    "payload",
    [
        "x",
        5,
        {},
        {"after": "5"},
        {"after": True},
        {"after": -1},
        {"after": 2**70},
        {"after": 1.5},
        {"after": 0, "system": "yes"},
    ],
)
def test_malformed_resume_gets_an_error_and_the_connection_stays(
    app, live_server, subscriber, payload
):
    sock = live_server.socket(subscriber)
    sock.emit("resume", payload)
    wait_until(lambda: sock.of("error"), message="an error event")
    assert sock.client.connected
    new = record(app, user_id=subscriber.id)
    assert sock.wait_for_ids(1) == [new]


def test_alert_then_its_resolution_arrive_as_alert_and_alert_resolved(app, live_server, subscriber):
    sock = live_server.socket(subscriber)
    wait_until(lambda: sock.of("unread"), message="the session to be ready")
    subject = {"subject": None}
    alert = record(
        app,
        "action.authenticate",
        False,
        "Token expired",
        user_id=subscriber.id,
        action_required="reauthenticate",
        action_url="/reauth",
        **subject,
    )
    wait_until(lambda: sock.of("alert"), message="the alert")
    assert sock.of("alert")[0]["id"] == alert
    assert sock.of("alert")[0]["action_url"] == "/reauth"
    fixed = record(app, "authenticate", True, user_id=subscriber.id)
    wait_until(lambda: sock.of("alert_resolved"), message="the resolution")
    assert sock.of("alert_resolved") == [{"id": alert, "resolved_by": fixed}]


def test_unread_count_follows_new_items_and_read_marks(app, live_server, subscriber):
    session = live_server.login(subscriber)
    sock = live_server.socket(session)
    for _ in range(2):
        record(app, user_id=subscriber.id)
    wait_until(lambda: sock.last_unread() == 2, message="unread 2")
    resp = session.post(f"{live_server.url}/api/notifications/read", json={"all": True})
    assert resp.json() == {"count": 0}
    wait_until(lambda: sock.last_unread() == 0, message="unread 0")


def test_admin_system_room_gets_system_wide_activities(app, live_server, admin, subscriber):
    admin_sock = live_server.socket(admin, auth={"after": 0, "system": True})
    sub_sock = live_server.socket(subscriber, auth={"after": 0, "system": True})
    wide = record(app, "cleanup.completed", system=True)
    own = record(app, user_id=subscriber.id)
    assert admin_sock.wait_for_ids(1) == [wide]
    assert sub_sock.wait_for_ids(1) == [own]


def test_fanout_starts_with_the_first_connection_when_no_starter_ran(app, live_server, subscriber):
    app.extensions["beacon.fanout"].stop()  # as under gunicorn, where no web starter runs
    sock = live_server.socket(subscriber)
    new = record(app, user_id=subscriber.id)
    assert sock.wait_for_ids(1) == [new]


def test_a_backlog_longer_than_the_limit_says_what_it_skipped(app, live_server, subscriber):
    app.extensions["beacon.fanout"].backlog_limit = 3
    ids = [record(app, user_id=subscriber.id) for _ in range(5)]
    wait_until(lambda: app.extensions["beacon.fanout"].tail.horizon >= ids[-1], message="tail")
    sock = live_server.socket(subscriber, auth={"after": 0})
    assert sock.wait_for_ids(3) == ids[2:]
    assert sock.of("backlog_truncated") == [{"skipped_through": ids[1]}]
