"""Retention deletes old system activities in batches, keeping the newest per subject + key."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.activity.factories import Service
from webapp.activity import Activity, build_activity
from webapp.activity.retention import purge_old_activities
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
