"""StatusChecker health states from fixed timestamps, overview, and periodic task recording."""

from __future__ import annotations

import datetime as dt

import pytest
from huey import crontab

from tests.support.queue import drain
from webapp.activity import PERIODIC_TASKS, StatusChecker, build_activity, periodic_task
from webapp.activity.health import PeriodicSubject
from webapp.activity.queries import page_for_subject
from webapp.extensions import db, huey

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
GRACE = dt.timedelta(minutes=30)


def at(name: str, key: str, value, when: dt.datetime, message=None):
    a = build_activity(key, value, message, subject=PeriodicSubject(name), system=True)
    a.created_at = when
    db.session.add(a)
    db.session.commit()
    return a


@pytest.mark.parametrize(
    ("history", "state"),
    [
        ([], "never"),
        ([("completed", True, NOW - dt.timedelta(minutes=59))], "up"),
        ([("completed", True, NOW - dt.timedelta(minutes=61))], "late"),
        ([("completed", True, NOW - dt.timedelta(minutes=90))], "late"),
        ([("completed", True, NOW - dt.timedelta(minutes=91))], "down"),
        ([("failed", False, NOW - dt.timedelta(minutes=5))], "failing"),
        (
            [
                ("completed", True, NOW - dt.timedelta(minutes=10)),
                ("failed", False, NOW - dt.timedelta(minutes=5)),
            ],
            "failing",
        ),
        (
            [
                ("failed", False, NOW - dt.timedelta(minutes=10)),
                ("completed", True, NOW - dt.timedelta(minutes=5)),
            ],
            "up",
        ),
        ([("started", None, NOW - dt.timedelta(minutes=1))], "never"),
    ],
    ids=[
        "never",
        "up",
        "late",
        "late-edge",
        "down",
        "failing",
        "failing-after-ok",
        "recovered",
        "only-started",
    ],
)
def test_health_state(ctx, history, state):
    for outcome, value, when in history:
        at("nightly", f"nightly.{outcome}", value, when)
    assert StatusChecker("nightly").health(HOUR, GRACE, now=NOW) == state


def test_last_success_and_last_error(ctx):
    ok = at("nightly", "nightly.completed", True, NOW - HOUR)
    err = at("nightly", "nightly.failed", False, NOW, "ValueError: boom")
    checker = StatusChecker("nightly")
    assert checker.last_success.id == ok.id
    assert checker.last_error.id == err.id and checker.last_error.message == "ValueError: boom"


def test_health_of_any_subject(ctx):
    from tests.activity.factories import Service

    account = Service("cal-1")
    account.action_status_update("sync", True)
    assert StatusChecker(account).health(HOUR) == "up"


@pytest.fixture
def registered():
    names = ["h_alpha", "h_beta", "h_gamma"]
    wrappers = [
        periodic_task(crontab(minute="*"), period=HOUR, grace=GRACE, name=name)(lambda: None)
        for name in names
    ]
    yield names
    for name, wrapper in zip(names, wrappers, strict=True):
        PERIODIC_TASKS.pop(name)
        huey._registry.unregister(wrapper.task_class)


def test_overview_reports_every_registered_task(ctx, registered):
    at("h_alpha", "h_alpha.completed", True, NOW - dt.timedelta(minutes=5))
    at("h_beta", "h_beta.completed", True, NOW - dt.timedelta(hours=3))
    at("h_beta", "h_beta.failed", False, NOW - dt.timedelta(hours=2), "boom")
    rows = {r["name"]: r for r in StatusChecker.overview(now=NOW)}
    assert {n: rows[n]["state"] for n in registered} == {
        "h_alpha": "up",
        "h_beta": "failing",
        "h_gamma": "never",
    }
    assert rows["h_beta"]["last_error"].message == "boom"
    assert rows["h_gamma"]["last_success"] is None
    assert "activity_retention" in rows


def test_registering_a_name_twice_is_refused(registered):
    with pytest.raises(ValueError, match="registered twice"):
        periodic_task(crontab(minute="*"), period=HOUR, name="h_alpha")(lambda: None)


calls: list[str] = []


@periodic_task(crontab(minute="*"), period=dt.timedelta(minutes=1), name="test_health_probe")
def health_probe() -> None:
    calls.append("ran")
    if len(calls) == 2:
        raise RuntimeError("probe failed")


def test_periodic_task_records_started_completed_and_failed(ctx):
    calls.clear()
    checker = StatusChecker("test_health_probe")
    huey.enqueue(health_probe.s())
    drain()
    assert checker.last_success is not None and checker.last_error is None
    huey.enqueue(health_probe.s())
    drain()
    assert checker.last_error.message == "RuntimeError: probe failed"
    assert checker.health() == "failing"
    history = page_for_subject("periodic_task", "test_health_probe")
    keys = [a.key for a in reversed(history)]
    assert keys == [
        "test_health_probe.started",
        "test_health_probe.completed",
        "test_health_probe.started",
        "test_health_probe.failed",
    ]
