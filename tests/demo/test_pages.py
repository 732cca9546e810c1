"""The demo's pages: accounts with their statuses, the buttons that sync or expire one, the
events page at each priority; owners only, CSRF on every POST, output escaped."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tasks.demo.models import ConnectedAccount
from tests.support.queue import drain
from webapp.events import EventMessage
from webapp.extensions import db


def account(app, account_id: int) -> ConnectedAccount:
    with app.app_context():
        row = db.session.get(ConnectedAccount, account_id)
        db.session.expunge(row)
        return row


def test_nav_links_and_the_overview_panel(subscriber_client):
    page = subscriber_client.get("/").get_data(as_text=True)
    for href in ('href="/demo/accounts"', 'href="/demo/subscribe"', 'href="/demo/events"'):
        assert href in page
    assert "Take the tour" in page


def test_accounts_page_lists_each_account_with_its_latest_sync(app, accounts, subscriber_client):
    subscriber_client.post(f"/demo/accounts/{accounts['Mailbox']}/sync")
    with app.app_context():
        drain()
    page = subscriber_client.get("/demo/accounts").get_data(as_text=True)
    for service, account_id in accounts.items():
        assert f'data-account-id="{account_id}" data-service="{service}"' in page
    assert "Mailbox synced: " in page
    assert "Export my activity as CSV" in page


def test_accounts_page_escapes_what_it_shows(app, accounts, subscriber_client):
    with app.app_context():
        calendar = db.session.get(ConnectedAccount, accounts["Calendar"])
        calendar.action_status_update("sync", False, "<script>alert(1)</script>")
    page = subscriber_client.get("/demo/accounts").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_others_accounts_are_not_listed(app, accounts, other_client):
    page = other_client.get("/demo/accounts").get_data(as_text=True)
    assert "data-account-id" not in page


def test_simulated_expiry_brings_up_the_alert(app, accounts, subscriber_client):
    resp = subscriber_client.post(f"/demo/accounts/{accounts['Storage']}/expire")
    assert resp.status_code == 302
    with app.app_context():
        drain()
    assert account(app, accounts["Storage"]).status == "expired"
    page = subscriber_client.get("/demo/accounts").get_data(as_text=True)
    assert f'href="/demo/reauthenticate/{accounts["Storage"]}"' in page
    assert "Needs your action" in page


@pytest.mark.parametrize("action", ["sync", "expire"])
def test_account_buttons_are_for_the_owner_only(app, accounts, other_client, action):
    assert other_client.post(f"/demo/accounts/{accounts['Calendar']}/{action}").status_code == 404
    with app.app_context():
        drain()
    calendar = account(app, accounts["Calendar"])
    assert (calendar.status, calendar.last_synced_at) == ("connected", None)


@pytest.mark.parametrize("action", ["sync", "expire"])
def test_account_buttons_need_the_csrf_token(app, accounts, subscriber_client, action):
    del subscriber_client.environ_base["HTTP_X_CSRFTOKEN"]
    resp = subscriber_client.post(f"/demo/accounts/{accounts['Calendar']}/{action}")
    assert resp.status_code == 400


def test_expired_account_is_not_synced_on_demand(app, accounts, subscriber_client):
    subscriber_client.post(f"/demo/accounts/{accounts['Storage']}/expire")
    with app.app_context():
        drain()
    resp = subscriber_client.post(
        f"/demo/accounts/{accounts['Storage']}/sync", follow_redirects=True
    )
    assert "needs you to re-authenticate" in resp.get_data(as_text=True)


# Events.


def events(app) -> list[tuple[str, str, str, int | None]]:
    with app.app_context():
        rows = db.session.scalars(select(EventMessage).order_by(EventMessage.id))
        return [(m.name, m.priority, m.status, m.owner_id) for m in rows]


@pytest.mark.parametrize("priority", ["high", "medium", "low"])
@pytest.mark.parametrize("name", ["hello_world", "send_email"])
def test_events_page_queues_each_event_at_each_priority(
    app, subscriber, subscriber_client, name, priority
):
    resp = subscriber_client.post("/demo/events", data={"event": name, "priority": priority})
    assert resp.status_code == 302
    assert events(app) == [(name, priority, "queued", subscriber.id)]
    with app.app_context():
        drain()
    assert events(app)[0][2] == "done"
    page = subscriber_client.get("/demo/events").get_data(as_text=True)
    assert f"<code>{name}</code>" in page


def test_send_email_from_the_page_lands_in_the_feed(app, subscriber, subscriber_client):
    subscriber_client.post("/demo/events", data={"event": "send_email", "priority": "high"})
    with app.app_context():
        drain()
    items = subscriber_client.get("/api/notifications").get_json()["items"]
    assert items[0]["key"] == "email.sent"
    assert subscriber.email in items[0]["message"]


def test_send_email_with_nobody_to_write_to_is_halted_by_its_filter(ctx, subscriber):
    from webapp.events import queue_event

    queue_event("send_email", people_ids=[], owner_id=subscriber.id, subject="x")
    queue_event("send_email", people_ids=[987654], owner_id=subscriber.id, subject="x")
    drain()
    statuses = db.session.scalars(select(EventMessage.status).order_by(EventMessage.id)).all()
    assert statuses == ["halted", "halted"]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"event": "admin_broken", "priority": "high"}, "event must be one of"),
        ({"event": "hello_world", "priority": "urgent"}, "invalid event priority"),
        ({"event": "hello_world"}, "invalid event priority"),
    ],
)
def test_bad_event_input_is_400_with_a_message(app, subscriber_client, form, message):
    resp = subscriber_client.post("/demo/events", data=form)
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)
    assert events(app) == []


def test_events_page_needs_the_csrf_token(app, subscriber_client):
    del subscriber_client.environ_base["HTTP_X_CSRFTOKEN"]
    resp = subscriber_client.post("/demo/events", data={"event": "hello_world", "priority": "low"})
    assert resp.status_code == 400
    assert events(app) == []


def test_event_page_lists_only_ones_own_events(app, subscriber, other_subscriber, other_client):
    with app.app_context():
        from webapp.events import queue_event

        queue_event("hello_world", owner_id=subscriber.id, name="x")
    assert "data-event-id" not in other_client.get("/demo/events").get_data(as_text=True)


def test_demo_pages_need_a_login(client):
    for path in ("/demo/accounts", "/demo/subscribe", "/demo/events"):
        resp = client.get(path)
        assert resp.status_code == 302
        assert "/login" in resp.headers["Location"]
