"""The health page: every periodic task with its state, last error and a 7-day chart."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.admin import factories
from webapp.activity import PERIODIC_TASKS
from webapp.activity.health import PeriodicSubject
from webapp.admin.charts import build_chart, daily_outcomes, last_days
from webapp.database import utcnow


def task_row(page: str, name: str) -> str:
    match = re.search(rf'<tr id="task-{re.escape(name)}".*?</tr>', page, re.S)
    assert match, f"no row for {name}"
    return match.group(0)


def test_health_lists_every_registered_periodic_task(admin_client):
    page = admin_client.get("/admin/health").get_data(as_text=True)
    assert PERIODIC_TASKS, "the domains register periodic tasks at import"
    for name in PERIODIC_TASKS:
        assert 'data-state="never"' in task_row(page, name)


def test_failing_task_shows_its_state_and_error_message(app, admin_client):
    name = "operations.reaper"
    subject = PeriodicSubject(name)
    factories.activity(app, f"{name}.completed", True, subject=subject, system=True)
    factories.activity(
        app, f"{name}.failed", False, "OperationalError: db gone", subject=subject, system=True
    )
    row = task_row(admin_client.get("/admin/health").get_data(as_text=True), name)
    assert 'class="state state-failing"' in row
    assert "OperationalError: db gone" in row


def test_daily_outcomes_count_successes_and_failures_per_utc_day(app):
    name = "operations.reaper"
    subject = PeriodicSubject(name)
    now = utcnow()
    two_days_ago = now - dt.timedelta(days=2)
    for when, value in [(now, True), (now, True), (now, False), (two_days_ago, False)]:
        key = f"{name}.completed" if value else f"{name}.failed"
        factories.activity(app, key, value, subject=subject, system=True, created_at=when)
    factories.activity(
        app,
        f"{name}.failed",
        False,
        subject=subject,
        system=True,
        created_at=now - dt.timedelta(days=9),
    )
    with app.app_context():
        days = last_days(now)
        counts = daily_outcomes(days)[name]
    assert counts == {now.date(): {True: 2, False: 1}, two_days_ago.date(): {True: 0, False: 1}}


def test_chart_has_a_bar_pair_per_day_scaled_to_the_busiest(app):
    days = last_days(utcnow())
    chart = build_chart(days, {days[-1]: {True: 4, False: 2}})
    assert len(chart.bars) == 14
    ok, failed = chart.bars[-2], chart.bars[-1]
    assert ok.kind == "ok" and ok.height == 48 and failed.height == 24
    assert chart.bars[0].kind == "ok empty"
    assert chart.summary == "last 7 days: 4 succeeded, 2 failed"


def test_health_page_draws_the_chart_as_svg(app, admin_client):
    name = "operations.reaper"
    factories.activity(app, f"{name}.completed", True, subject=PeriodicSubject(name), system=True)
    row = task_row(admin_client.get("/admin/health").get_data(as_text=True), name)
    assert '<svg class="chart"' in row and "last 7 days: 1 succeeded, 0 failed" in row


def test_retention_task_shows_its_run_on_the_health_page(app, admin_client):
    from webapp.activity.retention import activity_retention

    with app.app_context():
        activity_retention.call_local()
    row = task_row(admin_client.get("/admin/health").get_data(as_text=True), "activity_retention")
    assert 'class="state state-up"' in row


def test_retention_task_with_a_bad_setting_shows_the_error_on_the_health_page(app, admin_client):
    from webapp.activity.retention import activity_retention

    app.config["JOB_RETENTION_DAYS"] = -3
    with app.app_context():
        with pytest.raises(ValueError):
            activity_retention.call_local()
    row = task_row(admin_client.get("/admin/health").get_data(as_text=True), "activity_retention")
    assert 'class="state state-failing"' in row
    assert "JOB_RETENTION_DAYS must be a whole number of days (0 keeps forever), got -3" in row
