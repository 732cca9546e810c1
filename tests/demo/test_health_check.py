"""The health check of periodic tasks: a late or down task gets one ``health.<task>.down``
system activity per episode, for admins; ``health.<task>.up`` when it is back."""

from __future__ import annotations

import datetime as dt

from tasks.demo.health import check_periodic_tasks, health_check
from tests.support.queue import drain
from webapp.activity import (
    Activity,
    StatusChecker,
    build_activity,
    pause_periodic,
    resume_periodic,
)
from webapp.activity.health import PeriodicSubject
from webapp.database import utcnow
from webapp.extensions import db

TASK = "operations.reaper"  # runs every minute, 30 s grace


def succeeded(seconds_ago: float, now: dt.datetime) -> None:
    row = build_activity(f"{TASK}.completed", True, subject=PeriodicSubject(TASK), system=True)
    row.created_at = now - dt.timedelta(seconds=seconds_ago)
    db.session.add(row)
    db.session.commit()


def health_rows() -> list[Activity]:
    return list(
        db.session.scalars(
            db.select(Activity).where(Activity.key.startswith("health.")).order_by(Activity.id)
        )
    )


def test_late_task_is_reported_to_admins_once(ctx):
    now = utcnow()
    succeeded(75, now)
    assert check_periodic_tasks(now) == [f"health.{TASK}.down"]
    [row] = health_rows()
    assert (row.value, row.system, row.user_id) == (False, True, None)
    assert row.message == f"{TASK} is late: last success 1 min ago, expected every minute"
    assert check_periodic_tasks(now + dt.timedelta(minutes=5)) == []  # down now; same episode


def test_down_task_is_reported(ctx):
    now = utcnow()
    succeeded(600, now)
    assert check_periodic_tasks(now) == [f"health.{TASK}.down"]
    assert health_rows()[0].message.startswith(f"{TASK} is down: last success 10 min ago")


def test_recovered_task_is_reported_up_again(ctx):
    now = utcnow()
    succeeded(600, now)
    check_periodic_tasks(now)
    succeeded(0, now)
    assert check_periodic_tasks(now) == [f"health.{TASK}.up"]
    assert [(r.key, r.value) for r in health_rows()] == [
        (f"health.{TASK}.down", False),
        (f"health.{TASK}.up", True),
    ]
    assert check_periodic_tasks(now) == []


def test_a_paused_task_is_not_reported_down_nor_just_after_its_resume(ctx):
    now = utcnow()
    succeeded(600, now)
    pause_periodic(TASK)
    assert check_periodic_tasks(now + dt.timedelta(hours=2)) == []
    resumed_at = resume_periodic(TASK).resumed_at
    assert resumed_at is not None
    assert check_periodic_tasks(resumed_at + dt.timedelta(seconds=30)) == []
    assert health_rows() == []


def test_healthy_and_never_run_tasks_are_not_reported(ctx):
    now = utcnow()
    succeeded(10, now)
    assert check_periodic_tasks(now) == []
    assert health_rows() == []


def test_reports_do_not_count_as_the_tasks_own_failures(ctx):
    now = utcnow()
    succeeded(600, now)
    check_periodic_tasks(now)
    assert StatusChecker(TASK).health(now=now) == "down"  # not "failing"


def test_health_check_runs_as_a_periodic_task(ctx):
    health_check()
    drain()
    assert StatusChecker("demo.health_check").health() == "up"


def test_admins_see_the_report_with_system_activity_subscribers_do_not(
    app, admin_client, subscriber_client
):
    with app.app_context():
        now = utcnow()
        succeeded(600, now)
        check_periodic_tasks(now)
    items = admin_client.get("/api/notifications?system=1").get_json()["items"]
    assert f"health.{TASK}.down" in [i["key"] for i in items]
    mine = subscriber_client.get("/api/notifications?system=1").get_json()["items"]
    assert mine == []
