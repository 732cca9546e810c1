"""Sessions end when they should, everywhere: a copy of a logged-out cookie reads nothing,
writes nothing and opens no socket; a password change and "sign out everywhere" (the user's
or an admin's) end every session of the user; an open socket of an ended session is
disconnected within a second; login and logout give the browser a new cookie and CSRF
token."""

from __future__ import annotations

import time

import pytest
import socketio
from sqlalchemy import func, select

from tests.conftest import CSRF_RE, csrf_token, login
from tests.notifications.conftest import record
from tests.support.live import SocketClient
from tests.support.queue import wait_until
from webapp.activity import Activity
from webapp.extensions import db


def copy_of(client):
    """Another client holding the same cookie (and CSRF header): a stolen copy."""
    thief = client.application.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    thief.environ_base["HTTP_X_CSRFTOKEN"] = client.environ_base["HTTP_X_CSRFTOKEN"]
    return thief


def sessions(app, user_id: int) -> int:
    from webapp.accounts import LoginSession

    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(LoginSession).where(LoginSession.user_id == user_id)
        )


def test_a_copy_of_a_logged_out_cookie_gets_401_from_the_api(app, subscriber_client):
    thief = copy_of(subscriber_client)
    assert thief.get("/api/notifications").status_code == 200
    assert subscriber_client.post("/logout").status_code == 302
    assert thief.get("/api/notifications").status_code == 401
    assert thief.post("/api/notifications/read", json={"all": True}).status_code == 401
    assert thief.get("/notifications").status_code == 302  # to the login page


def test_logout_ends_only_that_browsers_session(app, subscriber):
    laptop, phone = login(app.test_client(), subscriber), login(app.test_client(), subscriber)
    assert sessions(app, subscriber.id) == 2
    laptop.post("/logout")
    assert laptop.get("/api/notifications").status_code == 401
    assert phone.get("/api/notifications").status_code == 200
    assert sessions(app, subscriber.id) == 1


def test_a_password_change_ends_every_session_and_keeps_this_browser_in(app, subscriber):
    here, elsewhere = login(app.test_client(), subscriber), login(app.test_client(), subscriber)
    old_cookie = here.get_cookie("session").value
    token = csrf_token(here, "/account")
    resp = here.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": subscriber.password,
            "new_password": "a-better-secret",
            "repeat_password": "a-better-secret",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert elsewhere.get("/api/notifications").status_code == 401
    assert here.get("/api/notifications").status_code == 200
    assert here.get_cookie("session").value != old_cookie
    assert sessions(app, subscriber.id) == 1
    subscriber.password = "a-better-secret"
    login(app.test_client(), subscriber)  # the new password works


def test_a_wrong_current_password_changes_nothing(app, subscriber_client, subscriber):
    resp = subscriber_client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(subscriber_client, "/account"),
            "current_password": "not-it",
            "new_password": "a-better-secret",
            "repeat_password": "a-better-secret",
        },
    )
    assert resp.status_code == 400
    assert "current password is wrong" in resp.get_data(as_text=True)
    assert subscriber_client.get("/api/notifications").status_code == 200
    login(app.test_client(), subscriber)  # the old password still works


def test_sign_out_everywhere_ends_every_session_of_the_user(app, subscriber):
    here, elsewhere = login(app.test_client(), subscriber), login(app.test_client(), subscriber)
    assert here.post("/account/sign-out-everywhere").status_code == 302
    assert here.get("/api/notifications").status_code == 401
    assert elsewhere.get("/api/notifications").status_code == 401
    assert sessions(app, subscriber.id) == 0


def test_an_admin_signs_a_user_out_everywhere_and_it_is_recorded(
    app, admin_client, admin, subscriber
):
    victim = login(app.test_client(), subscriber)
    page = admin_client.get(f"/admin/users/{subscriber.id}/sign-out")
    assert page.status_code == 200 and subscriber.email in page.get_data(as_text=True)
    resp = admin_client.post(f"/admin/users/{subscriber.id}/sign-out", data={"confirm": "yes"})
    assert resp.status_code == 302
    assert victim.get("/api/notifications").status_code == 401
    assert admin_client.get("/api/notifications").status_code == 200
    with app.app_context():
        revoked = db.session.scalars(
            select(Activity).where(Activity.key == "session.revoked")
        ).all()
        assert [(a.user_id, a.private, a.value["by_user_id"]) for a in revoked] == [
            (subscriber.id, True, admin.id)
        ]


def test_the_session_row_keeps_no_token(app, subscriber_client):
    from flask.sessions import SecureCookieSessionInterface

    from webapp.accounts import LoginSession

    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    token = serializer.loads(subscriber_client.get_cookie("session").value)["_user_id"]
    with app.app_context():
        row = db.session.scalars(select(LoginSession)).one()
        assert token not in (row.token_hash, str(row.id)) and len(token) >= 40


def test_an_expired_session_logs_nobody_in_and_is_purged(app, subscriber_client):
    import datetime as dt

    from webapp.accounts import LoginSession
    from webapp.accounts.sessions import purge_expired_sessions

    with app.app_context():
        row = db.session.scalars(select(LoginSession)).one()
        row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        db.session.commit()
    assert subscriber_client.get("/api/notifications").status_code == 401
    with app.app_context():
        assert purge_expired_sessions() == 1


def test_login_gives_a_new_cookie_and_a_csrf_token_taken_before_fails_after(app, subscriber):
    client = app.test_client()
    before_token = csrf_token(client)
    before_cookie = client.get_cookie("session").value
    client.post(
        "/login",
        data={
            "email": subscriber.email,
            "password": subscriber.password,
            "csrf_token": before_token,
        },
    )
    assert client.get_cookie("session").value != before_cookie
    refused = client.post(
        "/api/notifications/read", json={"all": True}, headers={"X-CSRFToken": before_token}
    )
    assert refused.status_code == 400 and "CSRF" in refused.get_json()["error"]
    fresh = CSRF_RE.search(client.get("/").get_data(as_text=True)).group(1)
    assert fresh != before_token
    ok = client.post("/api/notifications/read", json={"all": True}, headers={"X-CSRFToken": fresh})
    assert ok.status_code == 200


def test_a_csrf_token_taken_before_logout_fails_after_it(app, subscriber_client):
    token = subscriber_client.environ_base["HTTP_X_CSRFTOKEN"]
    subscriber_client.post("/logout")
    resp = subscriber_client.post(
        "/login", data={"email": "x@example.com", "password": "x", "csrf_token": token}
    )
    assert resp.status_code == 400  # the form's CSRF check, before any password


@pytest.mark.backends("sqlite", "pg_redis")
def test_a_logged_out_cookie_is_refused_by_socketio(app, live_server, subscriber):
    session = live_server.login(subscriber)
    cookie = live_server.cookie_header(session)
    live_server.socket(session).disconnect()  # the cookie opens a socket while logged in
    assert session.post(f"{live_server.url}/logout", timeout=10).status_code == 200
    with pytest.raises(socketio.exceptions.ConnectionError):
        SocketClient().connect(live_server.url, cookie)


@pytest.mark.backends("sqlite", "pg_redis")
@pytest.mark.parametrize("how", ["logout", "password", "everywhere", "admin"])
def test_an_open_socket_of_an_ended_session_is_disconnected_within_a_second(
    app, live_server, subscriber, admin, how
):
    session = live_server.login(subscriber)
    sock = live_server.socket(session)
    other = live_server.socket(admin)
    wait_until(lambda: sock.of("unread"), message="the session to be ready")
    token = CSRF_RE.search(session.get(f"{live_server.url}/account", timeout=10).text).group(1)
    url = live_server.url
    started = time.time()
    if how == "logout":
        session.post(f"{url}/logout", timeout=10)
    elif how == "password":
        session.post(
            f"{url}/account/password",
            data={
                "csrf_token": token,
                "current_password": subscriber.password,
                "new_password": "a-better-secret",
                "repeat_password": "a-better-secret",
            },
            timeout=10,
        )
    elif how == "everywhere":
        session.post(f"{url}/account/sign-out-everywhere", timeout=10)
    else:
        live_server.login(admin).post(
            f"{url}/admin/users/{subscriber.id}/sign-out", data={"confirm": "yes"}, timeout=10
        )
    wait_until(lambda: sock.of("disconnect"), timeout=5, message="the socket to be disconnected")
    took = next(at for name, _, at in sock.events if name == "disconnect") - started
    assert took < 1.0, f"disconnected {took:.3f} s after the session ended"
    assert not sock.client.connected
    new = record(app, user_id=admin.id)
    assert other.wait_for_ids(1) == [new]  # the admin's own socket stays
