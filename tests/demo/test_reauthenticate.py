"""The re-authenticate page: its owner reconnects an expired account and the alert resolves;
nobody else can see it; the POST needs the CSRF token."""

from __future__ import annotations

import re

import pytest

from tasks.demo.models import ConnectedAccount
from tasks.demo.provider import expire_token
from tasks.demo.sync import sync_account
from tests.conftest import csrf_token
from webapp.extensions import db


@pytest.fixture
def expired(app, accounts) -> int:
    """The subscriber's Calendar, whose token expired at its last sync (an open alert)."""
    with app.app_context():
        expire_token(accounts["Calendar"])
        sync_account(accounts["Calendar"])
    return accounts["Calendar"]


def state(app, account_id: int) -> tuple[str, list]:
    with app.app_context():
        account = db.session.get(ConnectedAccount, account_id)
        return account.status, [a.id for a in account.open_alerts()]


def test_owner_sees_the_confirm_page_from_the_alert_link(app, expired, subscriber_client):
    accounts_page = subscriber_client.get("/demo/accounts").get_data(as_text=True)
    assert f'href="/demo/reauthenticate/{expired}"' in accounts_page
    page = subscriber_client.get(f"/demo/reauthenticate/{expired}")
    assert page.status_code == 200
    assert "Reconnect Calendar" in page.get_data(as_text=True)


def test_post_reconnects_and_resolves_the_alert(app, expired, subscriber_client):
    resp = subscriber_client.post(f"/demo/reauthenticate/{expired}")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/demo/accounts")
    assert state(app, expired) == ("connected", [])
    with app.app_context():
        account = db.session.get(ConnectedAccount, expired)
        done = account.last_success("action.authentication.authenticated")
        assert done.message == "Calendar reconnected"
        assert sync_account(expired) == "completed"  # the new token works


def test_another_subscriber_gets_404(app, expired, other_client):
    assert other_client.get(f"/demo/reauthenticate/{expired}").status_code == 404
    assert other_client.post(f"/demo/reauthenticate/{expired}").status_code == 404
    assert state(app, expired)[0] == "expired"


def test_anonymous_is_sent_to_log_in_and_cannot_post(app, expired, client):
    resp = client.get(f"/demo/reauthenticate/{expired}")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]
    token = csrf_token(client)
    resp = client.post(f"/demo/reauthenticate/{expired}", data={"csrf_token": token})
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]
    assert state(app, expired)[0] == "expired"


def test_post_without_csrf_token_is_refused(app, expired, subscriber_client):
    del subscriber_client.environ_base["HTTP_X_CSRFTOKEN"]
    resp = subscriber_client.post(f"/demo/reauthenticate/{expired}")
    assert resp.status_code == 400
    assert "CSRF" in resp.get_data(as_text=True)
    assert state(app, expired)[0] == "expired"


def test_unknown_account_is_404(subscriber_client, accounts):
    assert subscriber_client.get("/demo/reauthenticate/999999").status_code == 404


def test_form_post_with_the_page_token_works(app, expired, subscriber_client):
    del subscriber_client.environ_base["HTTP_X_CSRFTOKEN"]
    page = subscriber_client.get(f"/demo/reauthenticate/{expired}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = subscriber_client.post(f"/demo/reauthenticate/{expired}", data={"csrf_token": token})
    assert resp.status_code == 302
    assert state(app, expired) == ("connected", [])
