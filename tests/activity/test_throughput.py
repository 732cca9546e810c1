"""Throughput from the log: completed, failed and retried per minute and per hour, for jobs,
operations, events and periodic tasks."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.admin import factories
from webapp.activity.throughput import bucket_starts, throughput
from webapp.database import utcnow


class Subject:
    def __init__(self, subject_type: str) -> None:
        self.activity_subject_type = subject_type
        self.activity_subject_id = "1"


def _at(app, key: str, subject_type: str, when: dt.datetime, value=True) -> None:
    factories.activity(app, key, value, subject=Subject(subject_type), created_at=when, system=True)


def test_each_kind_is_counted_in_its_minute_and_its_hour(app):
    now = utcnow()
    minute = now.replace(second=30, microsecond=0) - dt.timedelta(minutes=3)
    _at(app, "operation.completed", "operation", minute)
    _at(app, "operation.completed", "operation", minute)
    _at(app, "operation.failed", "operation", minute, value=False)
    _at(app, "operation.retried", "operation", minute)
    _at(app, "operation.action_completed", "operation", minute)  # a step, not an operation
    _at(app, "operation.started", "operation", minute)  # not an outcome
    _at(app, "sync.completed", "job", minute)
    _at(app, "event.processed", "event_message", minute)
    _at(app, "billing.failed", "periodic_task", minute, value=False)
    _at(app, "operation.completed", "operation", now - dt.timedelta(hours=3))  # past the hour
    _at(app, "user.signed_in", "user", minute)  # not a subject counted
    with app.app_context():
        starts, counts = throughput("hour", now)
        i = starts.index(minute.replace(second=0))
        ops = counts["operation"]
        assert (ops["completed"][i], ops["failed"][i], ops["retried"][i]) == (2, 1, 1)
        assert sum(ops["completed"]) == 2  # the one 3 hours ago is not in the last hour
        assert counts["job"]["completed"][i] == 1
        assert counts["event_message"]["completed"][i] == 1
        assert counts["periodic_task"]["failed"][i] == 1
        starts, counts = throughput("day", now)
        assert len(starts) == 24 and sum(counts["operation"]["completed"]) == 3


def test_buckets_are_the_last_60_minutes_or_24_hours_oldest_first():
    now = dt.datetime(2026, 5, 1, 12, 34, 56, tzinfo=dt.UTC)
    minutes = bucket_starts(now, "minute", 60)
    assert (minutes[0], minutes[-1]) == (
        now.replace(hour=11, minute=35, second=0),
        now.replace(second=0),
    )
    hours = bucket_starts(now, "hour", 24)
    assert hours[-1] == dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC) and len(hours) == 24


def test_an_unknown_range_is_refused(app):
    with app.app_context(), pytest.raises(ValueError, match="unknown range 'week'"):
        throughput("week")


def test_the_overview_draws_a_chart_per_subject(app, admin_client):
    _at(app, "operation.failed", "operation", utcnow(), value=False)
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert page.count('class="throughput-chart"') == 4
    assert 'class="bar bar-failed"' in page and "1 failed" in page
    assert admin_client.get("/admin/?range=day").status_code == 200
    assert admin_client.get("/admin/?range=year").status_code == 400
