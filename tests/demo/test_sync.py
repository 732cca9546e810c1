"""The account sync: each outcome recorded on the account, an expired token asks its owner to
re-authenticate, and the sweep is a periodic task on the configured schedule."""

from __future__ import annotations

import datetime as dt

import pytest

from tasks.demo.models import ConnectedAccount
from tasks.demo.provider import FakeProvider, expire_token
from tasks.demo.sync import sync_account, sync_accounts, sync_all, sync_schedule
from tests.support.queue import drain
from webapp.activity import PERIODIC_TASKS, StatusChecker
from webapp.extensions import db


def account(account_id: int) -> ConnectedAccount:
    return db.session.get(ConnectedAccount, account_id)


def test_completed_sync_records_counts_and_the_time(ctx, accounts):
    assert sync_account(accounts["Calendar"]) == "completed"
    calendar = account(accounts["Calendar"])
    done = calendar.last_success("action.sync")
    assert done.message.startswith("Calendar synced: ")
    assert "events fetched" in done.message
    assert calendar.last_synced_at is not None
    assert calendar.last_synced_at <= done.created_at
    assert done.user_id == calendar.user_id


def test_started_sync_is_recorded_privately_before_the_outcome(ctx, accounts):
    sync_account(accounts["Mailbox"])
    started, outcome = reversed(account(accounts["Mailbox"]).activities(limit=2))
    assert (started.key, started.value, started.private) == ("action.sync", None, True)
    assert (outcome.key, outcome.value, outcome.private) == ("action.sync", True, False)


def test_provider_failure_records_a_failed_sync_with_the_error(ctx, accounts):
    provider = FakeProvider(error_rate=1.0)
    assert sync_account(accounts["Storage"], provider) == "failed"
    storage = account(accounts["Storage"])
    assert storage.last_error("action.sync").message == (
        "Storage sync failed: Storage API timed out after 10 s"
    )
    assert storage.status == "connected"
    assert storage.open_alerts() == []


def test_expired_token_asks_the_owner_to_reauthenticate(ctx, accounts):
    expire_token(accounts["Calendar"])
    assert sync_account(accounts["Calendar"]) == "expired"
    calendar = account(accounts["Calendar"])
    assert calendar.status == "expired"
    [alert] = calendar.open_alerts()
    assert alert.key == "authentication.authenticated"
    assert alert.value is False
    assert alert.action_required == "reauthenticate"
    assert alert.action_url == f"/demo/reauthenticate/{calendar.id}"
    assert calendar.last_error("action.sync") is not None


def test_revoked_token_at_the_configured_chance_also_raises_the_alert(ctx, accounts):
    assert sync_account(accounts["Mailbox"], FakeProvider(expiry_chance=1.0)) == "expired"
    assert len(account(accounts["Mailbox"]).open_alerts()) == 1


def test_expired_account_is_not_synced_again_until_reauthenticated(ctx, accounts):
    expire_token(accounts["Storage"])
    sync_account(accounts["Storage"])
    assert sync_all() == {"completed": 2}
    assert sync_account(accounts["Storage"]) == "skipped"
    assert len(account(accounts["Storage"]).open_alerts()) == 1


def test_sweep_runs_as_a_periodic_task_that_records_its_health(ctx, accounts):
    sync_accounts()
    drain()
    assert StatusChecker("demo.sync_accounts").health() == "up"
    assert all(account(i).last_success("action.sync") for i in accounts.values())


def test_sweep_schedule_comes_from_config():
    spec = PERIODIC_TASKS["demo.sync_accounts"]
    assert spec.period == dt.timedelta(minutes=1)  # BEACON_DEMO_SYNC_MINUTES's default
    schedule, period = sync_schedule(15)
    assert period == dt.timedelta(minutes=15)
    assert schedule(dt.datetime(2024, 1, 1, 10, 30))
    assert not schedule(dt.datetime(2024, 1, 1, 10, 31))


@pytest.mark.parametrize("minutes", [0, 61, "5", True])
def test_bad_sync_interval_is_refused(minutes):
    with pytest.raises(ValueError, match="BEACON_DEMO_SYNC_MINUTES"):
        sync_schedule(minutes)


def test_bad_chances_are_refused():
    with pytest.raises(ValueError, match="expiry_chance"):
        FakeProvider(expiry_chance=1.5)
