"""Pausing a periodic task: no tick runs it while paused, not even a run enqueued before the
pause; resumed, it runs once if a tick came due meanwhile; its health is "paused", and the
time it spent paused never makes it late or down. The scheduler is driven tick by tick as
Huey's would (``read_periodic`` at a given minute, then the claimed tasks enqueued)."""

from __future__ import annotations

import datetime as dt

import pytest
from huey import crontab
from sqlalchemy import func, select

from tests.support.queue import drain
from webapp.activity import (
    Activity,
    StatusChecker,
    build_activity,
    pause_periodic,
    periodic_task,
    resume_periodic,
)
from webapp.activity.health import PeriodicSubject
from webapp.database import utcnow
from webapp.extensions import db, huey
from webapp.periodic import PeriodicClaim, PeriodicPause

PROBE = "test_pause_probe"
#: A minute at which every every-minute task is due.
TICK = dt.datetime(2026, 1, 5, 10, 7, 0)
MINUTE = dt.timedelta(minutes=1)

runs: list[str] = []


@periodic_task(crontab(minute="*"), period=MINUTE, name=PROBE)
def pause_probe() -> None:
    runs.append("ran")


@pytest.fixture(autouse=True)
def no_runs_yet():
    runs.clear()


def tick(when: dt.datetime) -> set[str]:
    """One scheduler tick at ``when``: the due tasks this consumer claimed, the probe among
    them enqueued (the others are not this module's), then the queue drained."""
    due = {task.name: task for task in huey.read_periodic(when)}
    if PROBE in due:
        huey.enqueue(due[PROBE])
    drain()
    return set(due)


def test_a_paused_task_is_not_run_at_any_tick(ctx):
    pause_periodic(PROBE)
    for minute in range(3):
        due = tick(TICK + minute * MINUTE)
        assert PROBE not in due and "events_sweep" in due
    assert runs == []
    claimed = select(func.count()).select_from(PeriodicClaim).where(PeriodicClaim.task == PROBE)
    assert db.session.scalar(claimed) == 0


def test_resumed_after_missed_ticks_it_runs_once_then_on_schedule(ctx):
    pause_periodic(PROBE)
    for minute in range(3):
        tick(TICK + minute * MINUTE)
    resume_periodic(PROBE)
    drain()
    assert runs == ["ran"]  # once, not once per missed tick
    tick(TICK + 3 * MINUTE)
    assert runs == ["ran", "ran"]


def test_a_run_enqueued_before_the_pause_waits_for_the_resume(ctx):
    huey.enqueue(pause_probe.s())
    pause_periodic(PROBE)
    drain()
    assert runs == []
    assert StatusChecker(PROBE).last_success is None  # not even "started" recorded
    resume_periodic(PROBE)
    drain()
    assert runs == ["ran"]


def test_resumed_with_no_tick_missed_it_waits_for_its_next_tick(ctx):
    pause_periodic(PROBE)
    resume_periodic(PROBE)
    drain()
    assert runs == []
    tick(TICK)
    assert runs == ["ran"]


def test_two_schedulers_of_a_paused_tick_owe_one_run(ctx):
    pause_periodic(PROBE)
    tick(TICK + dt.timedelta(seconds=1))
    tick(TICK + dt.timedelta(seconds=40))  # another consumer, same minute
    resume_periodic(PROBE)
    resume_periodic(PROBE)  # a second resume: already running, nothing more
    drain()
    assert runs == ["ran"]


def test_pausing_twice_keeps_the_first_pause(ctx):
    first = pause_periodic(PROBE, by_user_id=None)
    paused_at = first.paused_at
    again = pause_periodic(PROBE)
    assert again.paused and again.paused_at == paused_at
    keys = db.session.scalars(
        select(Activity.key).where(Activity.subject_id == PROBE).order_by(Activity.id)
    ).all()
    assert keys == [f"{PROBE}.paused"]


def test_pause_and_resume_are_recorded_as_private_system_activities(ctx):
    pause_periodic(PROBE)
    tick(TICK)
    resume_periodic(PROBE)
    rows = db.session.execute(
        select(Activity.key, Activity.value, Activity.system, Activity.private)
        .where(Activity.subject_type == "periodic_task", Activity.subject_id == PROBE)
        .order_by(Activity.id)
    ).all()
    assert [tuple(r) for r in rows] == [
        (f"{PROBE}.paused", {"by_user_id": None}, True, True),
        (f"{PROBE}.resumed", {"by_user_id": None, "missed_tick": True}, True, True),
    ]


@pytest.mark.parametrize("name", ["no_such_task", "", 7, None])
def test_an_unknown_task_is_refused_and_nothing_is_written(ctx, name):
    for call in (pause_periodic, resume_periodic):
        with pytest.raises(ValueError, match="unknown periodic task"):
            call(name)
    assert db.session.scalar(select(func.count()).select_from(PeriodicPause)) == 0


def succeeded(name: str, when: dt.datetime) -> None:
    a = build_activity(f"{name}.completed", True, subject=PeriodicSubject(name), system=True)
    a.created_at = when
    db.session.add(a)
    db.session.commit()


def overview_state(name: str, now: dt.datetime) -> str:
    return {t["name"]: t for t in StatusChecker.overview(now=now)}[name]["state"]


def test_a_paused_task_is_paused_never_down(ctx):
    now = utcnow()
    succeeded(PROBE, now - dt.timedelta(hours=3))  # long overdue for an every-minute task
    assert overview_state(PROBE, now) == "down"
    pause_periodic(PROBE)
    later = now + dt.timedelta(days=2)
    assert overview_state(PROBE, later) == "paused"
    assert StatusChecker(PROBE).health(now=later) == "paused"
    row = {t["name"]: t for t in StatusChecker.overview(now=later)}[PROBE]
    assert row["paused"] and row["pause"].paused_at is not None


def test_after_the_resume_lateness_counts_from_the_resume(ctx):
    now = utcnow()
    succeeded(PROBE, now - dt.timedelta(hours=3))
    pause_periodic(PROBE)
    resumed_at = resume_periodic(PROBE).resumed_at
    assert resumed_at is not None
    assert overview_state(PROBE, resumed_at + dt.timedelta(seconds=30)) == "up"
    assert StatusChecker(PROBE).health(now=resumed_at + dt.timedelta(seconds=80)) == "late"
    assert overview_state(PROBE, resumed_at + dt.timedelta(minutes=2)) == "down"


def test_resuming_a_task_never_paused_changes_nothing(ctx):
    state = resume_periodic(PROBE)
    assert (state.task, state.paused) == (PROBE, False)
    assert db.session.scalar(select(func.count()).select_from(PeriodicPause)) == 0
    drain()
    assert runs == []
