"""``flask beacon seed``: the demo's users, accounts, a week of history, failed operations
and queued events; a second run changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tasks.demo.models import ConnectedAccount
from webapp.activity import PERIODIC_TASKS, Activity, StatusChecker
from webapp.activity.health import PERIODIC_SUBJECT
from webapp.database import utcnow
from webapp.events import EventMessage
from webapp.extensions import db, huey
from webapp.notifications import feed
from webapp.operations import Operation


def seed(app) -> str:
    result = app.test_cli_runner().invoke(args=["beacon", "seed"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def seeded(app) -> str:
    return seed(app)


def user_id(email: str) -> int:
    from webapp.accounts import get_user_by_email

    return get_user_by_email(email).id


def snapshot() -> dict[str, tuple[int, object]]:
    """Row count and newest primary key (the first column of a table without one, such as
    a search term table) of every table."""
    out = {}
    for table in db.metadata.sorted_tables:
        key = next(iter(table.primary_key.columns), None)
        if key is None:
            key = next(iter(table.columns))
        count, newest = db.session.execute(
            select(func.count(), func.max(key)).select_from(table)
        ).one()
        out[table.name] = (count, newest)
    return out


def test_seed_prints_the_demo_logins(seeded):
    assert "alice@beacon.test  password: beacon-alice" in seeded
    assert "connected accounts" in seeded


def test_each_subscriber_gets_three_accounts_and_one_waits_for_reauthentication(app, seeded):
    with app.app_context():
        accounts = db.session.scalars(select(ConnectedAccount).order_by(ConnectedAccount.id)).all()
        bob = user_id("bob@beacon.test")
        assert len(accounts) == 6
        [expired] = [a for a in accounts if a.status == "expired"]
        assert (expired.user_id, expired.service) == (bob, "Storage")
        [alert] = expired.open_alerts()
        assert alert.action_url == expired.reauthenticate_url
        assert all(a.last_synced_at for a in accounts)


def test_a_week_of_history_feeds_the_health_charts(app, seeded):
    with app.app_context():
        day = func.date(Activity.created_at)
        days = db.session.scalar(
            select(func.count(func.distinct(day))).where(Activity.subject_type == PERIODIC_SUBJECT)
        )
        assert days >= 7
        failures = db.session.scalar(
            select(func.count()).where(
                Activity.subject_type == PERIODIC_SUBJECT, Activity.outcome.is_(False)
            )
        )
        assert failures > 0
        overview = StatusChecker.overview()
        assert {t["name"] for t in overview} == set(PERIODIC_TASKS)
        assert all(t["state"] == "up" for t in overview)
        alice = user_id("alice@beacon.test")
        oldest = db.session.scalar(
            select(func.min(Activity.created_at)).where(Activity.user_id == alice)
        )
        assert utcnow() - oldest > dt.timedelta(days=6)  # her feed goes back a week


def test_failed_operations_carry_their_stack_traces(app, seeded):
    with app.app_context():
        failed = db.session.scalars(select(Operation).where(Operation.state == "failed")).all()
        assert len(failed) == 2
        for op in failed:
            assert op.next_action.short_name == "setup_subscription"
            assert "SubscriptionServiceUnavailable" in op.next_action.stack_trace
        completed = db.session.scalar(
            select(func.count()).select_from(Operation).where(Operation.state == "completed")
        )
        assert completed == 2


def test_events_wait_for_the_consumer(app, seeded):
    with app.app_context():
        names = db.session.scalars(select(EventMessage.name).order_by(EventMessage.id)).all()
        assert sorted(names) == ["hello_world", "hello_world"] + ["send_email"] * 4
        assert huey.pending_count() > 0


def test_the_week_is_already_read(app, seeded):
    with app.app_context():
        assert feed.unread_count(user_id("alice@beacon.test")) == 0
        assert feed.alert_items(user_id("bob@beacon.test"))  # alerts stay pinned, read or not


def test_seeding_twice_changes_nothing(app, seeded):
    with app.app_context():
        before, queued = snapshot(), huey.pending_count()
        db.session.rollback()
    seed(app)
    with app.app_context():
        assert snapshot() == before
        assert huey.pending_count() == queued
