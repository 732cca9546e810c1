"""The newest success and error of each periodic task (``periodic_outcome``), kept by the
database as activities are written and deleted, always equal what the log itself says."""

from __future__ import annotations

import datetime as dt

import pytest
from huey import crontab
from sqlalchemy import select

from tests.activity.factories import Service
from webapp.activity import (
    PERIODIC_TASKS,
    Activity,
    StatusChecker,
    build_activity,
    periodic_task,
    record_activity,
    record_many,
)
from webapp.activity.health import PERIODIC_SUBJECT, PeriodicSubject
from webapp.activity.models import PeriodicOutcome, rebuild_periodic_outcomes
from webapp.activity.queries import last_with_outcome
from webapp.activity.retention import purge_old_activities
from webapp.extensions import db, huey

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def stored() -> dict[tuple[str, bool], tuple]:
    """The table, as (task, outcome) -> (activity id, created_at, key, message)."""
    rows = db.session.execute(select(PeriodicOutcome)).scalars()
    return {(r.task, r.outcome): (r.activity_id, r.created_at, r.key, r.message) for r in rows}


def from_log() -> dict[tuple[str, bool], tuple]:
    """The same, read from the log: each task's newest activity with each outcome."""
    tasks = db.session.scalars(
        select(Activity.subject_id).where(Activity.subject_type == PERIODIC_SUBJECT).distinct()
    )
    found = {}
    for task in tasks:
        for outcome in (True, False):
            a = last_with_outcome(PERIODIC_SUBJECT, task, outcome)
            if a is not None:
                found[task, outcome] = (a.id, a.created_at, a.key, a.message)
    return found


def add(task: str, key: str, value, when: dt.datetime, message=None, **fields) -> int:
    """An activity of the task written through the ORM (not record_activity)."""
    a = build_activity(key, value, message, subject=PeriodicSubject(task), system=True)
    a.created_at = when
    for name, v in fields.items():
        setattr(a, name, v)
    db.session.add(a)
    db.session.commit()
    return a.id


def test_every_way_of_writing_keeps_the_newest_success_and_error(ctx):
    subject = PeriodicSubject("nightly")
    record_activity("nightly.started", None, subject=subject, system=True)
    assert stored() == {}
    ok = record_activity("nightly.completed", True, subject=subject, system=True)
    err = record_activity("nightly.failed", False, "boom", subject=subject, system=True)
    assert stored() == from_log()
    assert stored()["nightly", True][0] == ok.id
    assert stored()["nightly", False][:4:3] == (err.id, "boom")
    add("nightly", "nightly.completed", True, NOW)
    record_many(
        [
            {"key": "hourly.failed", "value": False, "subject": PeriodicSubject("hourly")},
            {"key": "hourly.completed", "value": True, "subject": PeriodicSubject("hourly")},
            {"key": "nightly.failed", "value": False, "message": "again", "subject": subject},
        ]
    )
    # Not a periodic task, or not an outcome: no row.
    Service("svc").status_update("sync", False)
    record_activity("nightly.progress", 3, subject=subject, system=True)
    assert stored() == from_log()
    assert set(stored()) == {
        ("nightly", True),
        ("nightly", False),
        ("hourly", True),
        ("hourly", False),
    }


def test_a_row_only_moves_to_a_newer_activity(ctx):
    """Concurrent transactions may commit out of id order: an older id never overwrites."""
    newer = add("late", "late.completed", True, NOW, id=100)
    add("late", "late.completed", True, NOW - HOUR, id=50)
    assert stored()["late", True][0] == newer
    assert stored() == from_log()


def test_a_rolled_back_activity_leaves_no_row(ctx):
    record_activity("undo.completed", True, subject=PeriodicSubject("undo"), commit=False)
    db.session.rollback()
    assert stored() == {}


def test_retention_keeps_the_table_equal_to_the_log(ctx):
    subject = PeriodicSubject("purged")
    old = NOW - dt.timedelta(days=200)
    first_ok = add("purged", "purged.completed", True, old)
    # The newest success of the task is deleted by retention (a newer row of its key has
    # another value), so the table must fall back to the success before it.
    add("purged", "purged.check", True, old + HOUR)
    add("purged", "purged.check", "skipped", old + 2 * HOUR)
    add("purged", "purged.failed", False, old + 3 * HOUR, "one")
    add("purged", "purged.failed", False, old + 4 * HOUR, "two")
    record_activity("purged.started", None, subject=subject, system=True)
    assert stored()["purged", True][0] != first_ok
    deleted = purge_old_activities(90, batch_size=2, now=NOW)
    assert deleted == 2
    assert stored() == from_log()
    assert stored()["purged", True][0] == first_ok
    assert stored()["purged", False][3] == "two"


def test_retention_deleting_every_success_removes_the_row(ctx):
    old = NOW - dt.timedelta(days=200)
    add("gone", "gone.check", True, old)
    add("gone", "gone.check", "skipped", old + HOUR)
    assert ("gone", True) in stored()
    purge_old_activities(90, now=NOW)
    assert stored() == from_log() == {}


def test_rebuild_gives_what_the_triggers_keep(ctx):
    for i in range(3):
        add(f"t{i}", f"t{i}.completed", True, NOW - dt.timedelta(minutes=10 - i))
        add(f"t{i}", f"t{i}.failed", False, NOW - dt.timedelta(minutes=5 - i), f"e{i}")
    kept = stored()
    rebuild_periodic_outcomes(db.session.connection())
    db.session.commit()
    assert stored() == kept == from_log()


@pytest.fixture
def tasks():
    names = ["o_up", "o_late", "o_down", "o_failing", "o_recovered", "o_never"]
    wrappers = [
        periodic_task(crontab(minute="*"), period=HOUR, grace=HOUR / 2, name=name)(lambda: None)
        for name in names
    ]
    yield names
    for name, wrapper in zip(names, wrappers, strict=True):
        PERIODIC_TASKS.pop(name)
        huey._registry.unregister(wrapper.task_class)


def test_overview_equals_the_full_lookups(ctx, tasks):
    minutes = dt.timedelta(minutes=1)
    add("o_up", "o_up.completed", True, NOW - 5 * minutes)
    add("o_late", "o_late.completed", True, NOW - 70 * minutes)
    add("o_down", "o_down.completed", True, NOW - 200 * minutes)
    add("o_failing", "o_failing.completed", True, NOW - 20 * minutes)
    add("o_failing", "o_failing.failed", False, NOW - 10 * minutes, "boom")
    add("o_recovered", "o_recovered.failed", False, NOW - 20 * minutes, "once")
    add("o_recovered", "o_recovered.completed", True, NOW - 10 * minutes)
    rows = {r["name"]: r for r in StatusChecker.overview(now=NOW)}
    assert {n: rows[n]["state"] for n in tasks} == {
        "o_up": "up",
        "o_late": "late",
        "o_down": "down",
        "o_failing": "failing",
        "o_recovered": "up",
        "o_never": "never",
    }
    for name in tasks:
        checker = StatusChecker(name)
        assert rows[name]["state"] == checker.health(now=NOW)
        for field, full in (
            ("last_success", checker.last_success),
            ("last_error", checker.last_error),
        ):
            got = rows[name][field]
            if full is None:
                assert got is None
            else:
                assert (got.id, got.created_at, got.key, got.value, got.message) == (
                    full.id,
                    full.created_at,
                    full.key,
                    full.value,
                    full.message,
                )
