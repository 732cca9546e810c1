"""The health check of Beacon's own periodic tasks: when one is late or down, admins hear of
it from a ``health.<task>.down`` system activity; ``health.<task>.up`` when it is back.

Each is recorded once per episode (on the change, not on every check), as a system-wide
activity of the subject ``periodic_health:<task>``: admins see it with system activity
shown in their feed and on /admin/activity. A subject of its own keeps these rows out of the
task's own outcomes, which decide its state.
"""

from __future__ import annotations

import datetime as dt

from huey import crontab

from webapp.activity import ActivityStatusable, StatusChecker, periodic_task
from webapp.database import utcnow
from webapp.extensions import db

SUBJECT = "periodic_health"
#: States that mean "it has not succeeded when it should have".
UNHEALTHY = ("late", "down")


class TaskHealth(ActivityStatusable):
    """The health record of one periodic task (system-wide: nobody owns it)."""

    activity_subject_type = SUBJECT
    activity_user_id = None

    def __init__(self, name: str) -> None:
        self.activity_subject_id = name


def down_message(name: str, state: str, age: dt.timedelta, schedule: str) -> str:
    """``operations.reaper is down: last success 12 min ago, expected every minute``."""
    minutes = int(age.total_seconds() // 60)
    if minutes < 60:
        ago = f"{minutes} min"
    elif minutes < 48 * 60:
        ago = f"{minutes // 60} h {minutes % 60} min"
    else:
        ago = f"{minutes // 1440} days"
    return f"{name} is {state}: last success {ago} ago, expected {schedule}"


def check_periodic_tasks(now: dt.datetime | None = None) -> list[str]:
    """Record ``health.<task>.down`` for each task that became late or down, and
    ``health.<task>.up`` for each that recovered; the keys recorded, in one transaction."""
    now = now or utcnow()
    recorded = []
    for task in StatusChecker.overview(now=now):
        name, state = task["name"], task["state"]
        record = TaskHealth(name)
        down, up = f"health.{name}.down", f"health.{name}.up"
        latest = record.current_statuses()
        flagged = down in latest and (up not in latest or latest[up].id < latest[down].id)
        if state in UNHEALTHY and not flagged:
            age = now - task["last_success"].created_at
            message = down_message(name, state, age, task["schedule"])
            record.status_update(down, False, message, system=True, commit=False)
            recorded.append(down)
        elif state == "up" and flagged:
            record.status_update(up, True, f"{name} is up again", system=True, commit=False)
            recorded.append(up)
    db.session.commit()
    return recorded


@periodic_task(crontab(minute="*"), period=dt.timedelta(minutes=1), name="demo.health_check")
def health_check() -> list[str]:
    """Every minute: tell admins about periodic tasks that are late or down."""
    return check_periodic_tasks()
