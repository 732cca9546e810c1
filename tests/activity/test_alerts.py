"""Action-required alerts open, stay open on falsy updates, resolve on a truthy one."""

from __future__ import annotations

import pytest

from tests.activity.factories import Service
from webapp.activity.queries import alerts_resolved_by, open_alerts_for_user


@pytest.fixture
def account(ctx):
    from tests.activity.factories import user

    return Service("mailbox-1", user_id=user().id)


def _raise_alert(account, key="authentication.authenticated"):
    return account.status_update(
        key, False, "token expired", action_required="reauthenticate", action_url="/reauth/1"
    )


def test_alert_opens(account):
    alert = _raise_alert(account)
    assert [a.id for a in account.open_alerts()] == [alert.id]
    assert [a.id for a in open_alerts_for_user(account.user_id)] == [alert.id]


def test_alert_stays_open_after_falsy_update(account):
    alert = _raise_alert(account)
    account.status_update("authentication.authenticated", False, "still broken")
    account.action_status_update("authentication.authenticated", 0)
    assert [a.id for a in account.open_alerts()] == [alert.id]


def test_alert_resolves_after_truthy_update_with_prefix(account):
    _raise_alert(account)
    fix = account.action_status_update("authentication.authenticated", True, "reconnected")
    assert account.open_alerts() == []
    assert len(alerts_resolved_by(fix.id)) == 1


def test_alert_resolves_after_truthy_update_without_prefix(account):
    _raise_alert(account)
    account.status_update("authentication.authenticated", "ok")
    assert account.open_alerts() == []


def test_prefixed_alert_resolves_by_unprefixed_update(account):
    _raise_alert(account, key="action.authentication.authenticated")
    account.status_update("authentication.authenticated", True)
    assert account.open_alerts() == []


def test_truthy_update_of_other_key_or_subject_does_not_resolve(account):
    alert = _raise_alert(account)
    account.status_update("sync", True)
    Service("mailbox-2", user_id=account.user_id).status_update(
        "authentication.authenticated", True
    )
    assert [a.id for a in account.open_alerts()] == [alert.id]


def test_repeated_alert_shows_once_newest(account):
    _raise_alert(account)
    newest = _raise_alert(account)
    assert [a.id for a in account.open_alerts()] == [newest.id]


def test_alert_after_resolution_opens_again(account):
    _raise_alert(account)
    account.action_status_update("authentication.authenticated", True)
    again = _raise_alert(account)
    assert [a.id for a in account.open_alerts()] == [again.id]


def test_private_alerts_are_not_listed_for_the_user(account):
    account.status_update("secret.check", False, action_required="review", private=True)
    assert open_alerts_for_user(account.user_id) == []
