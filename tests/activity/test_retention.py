"""Retention deletes old system activities in batches, keeping the newest per subject + key;
the retention task applies every registered purge with its own setting."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import select

from tests.activity.factories import Service
from webapp.activity import Activity, build_activity
from webapp.activity.retention import (
    activity_retention,
    apply_retention,
    purge_old_activities,
    register_retention,
)
from webapp.database import utcnow
from webapp.extensions import db

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def old(subject, key, value, days_ago, system=True):
    a = build_activity(key, value, subject=subject, system=system)
    a.created_at = NOW - dt.timedelta(days=days_ago)
    db.session.add(a)
    db.session.commit()
    return a.id


def remaining() -> set[int]:
    return set(db.session.scalars(select(Activity.id)))


def test_retention_keeps_newest_row_per_subject_and_key(ctx):
    s = Service("s1")
    doomed = [old(s, "sync", True, 200 - i) for i in range(5)]
    newest_old = old(s, "sync", False, 150)
    lone = old(s, "auth", True, 300)
    recent = old(s, "sync", True, 10)
    deleted = purge_old_activities(90, batch_size=2, now=NOW)
    assert deleted == len(doomed) + 1
    assert remaining() == {lone, recent}
    assert newest_old not in remaining()


def test_retention_keeps_newest_old_row_when_no_recent_one(ctx):
    s = Service("s2")
    old(s, "sync", True, 200)
    last = old(s, "sync", False, 100)
    purge_old_activities(90, now=NOW)
    assert remaining() == {last}


def test_retention_never_deletes_non_system_rows(ctx):
    s = Service("s3")
    kept = {old(s, "feed.item", i, 400, system=False) for i in range(3)}
    purge_old_activities(90, now=NOW)
    assert remaining() == kept


def test_retention_without_subject_groups_by_key(ctx):
    first = old(None, "maintenance.ran", True, 300)
    second = old(None, "maintenance.ran", True, 200)
    purge_old_activities(90, now=NOW)
    assert remaining() == {second} and first not in remaining()


def test_retention_rejects_bad_age(ctx):
    with pytest.raises(ValueError, match="older_than_days"):
        purge_old_activities(0)


# The retention task: every registered purge, with its own setting.

DAY = 86400.0


def old_rows_of_every_kind() -> dict[str, object]:
    """Two old system activities of one key (one may go), and an operation, an event and a job
    status that finished 400 days ago (any setting above 0 deletes them)."""
    from webapp.events import EventMessage
    from webapp.jobs import Write, get_store
    from webapp.operations import Operation

    long_ago = utcnow() - dt.timedelta(days=400)
    s = Service("kinds")
    activities = [old(s, "sync", True, 400), old(s, "sync", True, 399)]
    op = Operation(
        name="old.op", globals={}, params_hash="h", state="completed", created_at=long_ago
    )
    op.completed_at = long_ago
    message = EventMessage(
        name="old_event", status="done", enqueued_at=long_ago, finished_at=long_ago
    )
    db.session.add_all([op, message])
    db.session.commit()
    store = get_store()
    store.write("old-job", Write(now=long_ago, expires_in=500 * DAY, values={"status": "queued"}))
    store.write(
        "old-job",
        Write(
            now=long_ago,
            expires_in=500 * DAY,
            values={"status": "completed", "finished_at": long_ago},
        ),
    )
    return {"activities": activities, "operation": op.id, "event": message.id}


def still_there(rows: dict[str, object]) -> dict[str, bool]:
    from webapp.events import EventMessage
    from webapp.jobs import get_store
    from webapp.operations import Operation

    db.session.rollback()
    return {
        "activities": set(rows["activities"]) <= remaining(),
        "operation": db.session.get(Operation, rows["operation"]) is not None,
        "event": db.session.get(EventMessage, rows["event"]) is not None,
        "job": get_store().read("old-job") is not None,
    }


ZERO = {
    "ACTIVITY_RETENTION_DAYS": 0,
    "OPERATION_RETENTION_DAYS": 0,
    "EVENT_RETENTION_DAYS": 0,
    "JOB_RETENTION_DAYS": 0,
}


def test_retention_task_purges_every_kind_and_reports_each_count(ctx):
    rows = old_rows_of_every_kind()
    assert activity_retention.call_local() == {
        "activities": 1,
        "operations": 1,
        "events": 1,
        "jobs": 1,
    }
    assert still_there(rows) == {
        "activities": False,
        "operation": False,
        "event": False,
        "job": False,
    }


def test_retention_settings_of_zero_keep_everything(ctx):
    rows = old_rows_of_every_kind()
    purged = apply_retention({**ctx.config, **ZERO})
    assert purged == {"activities": 0, "operations": 0, "events": 0, "jobs": 0}
    assert all(still_there(rows).values())


def test_retention_setting_of_zero_keeps_only_its_own_kind(ctx):
    rows = old_rows_of_every_kind()
    purged = apply_retention({**ctx.config, "OPERATION_RETENTION_DAYS": 0})
    assert purged["operations"] == 0 and purged["events"] == 1
    assert still_there(rows)["operation"] and not still_there(rows)["event"]


@pytest.mark.parametrize("bad", [-1, "30", 1.5, True, None])
def test_bad_retention_setting_is_refused_before_anything_is_deleted(ctx, bad):
    rows = old_rows_of_every_kind()
    with pytest.raises(ValueError, match=r"EVENT_RETENTION_DAYS must be a whole number of days"):
        apply_retention({**ctx.config, "EVENT_RETENTION_DAYS": bad})
    assert all(still_there(rows).values())


@pytest.mark.parametrize("raw", ["-5", "thirty"])
def test_bad_retention_setting_in_the_environment_is_refused_by_name(monkeypatch, raw):
    from config import _days

    monkeypatch.setenv("JOB_RETENTION_DAYS", raw)
    with pytest.raises(ValueError, match="JOB_RETENTION_DAYS"):
        _days("JOB_RETENTION_DAYS", 30)


def test_registering_a_retention_name_twice_is_refused():
    with pytest.raises(ValueError, match="registered twice"):
        register_retention("operations", "OPERATION_RETENTION_DAYS", lambda cutoff, size: 0)


def test_retention_run_logs_how_many_rows_of_each_kind_it_deleted(ctx, caplog):
    old_rows_of_every_kind()
    with caplog.at_level(logging.INFO, logger="webapp.activity.retention"):
        apply_retention(ctx.config)
    (line,) = [m for m in caplog.messages if m.startswith("retention deleted ")]
    parts = line.removeprefix("retention deleted ").split(", ")  # in the order the purges ran
    assert sorted(parts) == ["1 activities", "1 events", "1 jobs", "1 operations"]
