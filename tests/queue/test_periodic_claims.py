"""Each periodic task runs once per tick however many consumers schedule it: a consumer's
scheduler gets only the due tasks it claimed for that minute."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from webapp.extensions import db, huey
from webapp.periodic import PeriodicClaim

#: A minute at which every every-minute task is due (and the daily ones are not).
TICK = dt.datetime(2026, 1, 5, 10, 7, 0)


def due_names(when: dt.datetime | None) -> set[str]:
    return {task.name for task in huey.read_periodic(when)}


def test_two_schedulers_asking_for_one_tick_get_each_task_once(ctx):
    first = due_names(TICK + dt.timedelta(seconds=1))
    second = due_names(TICK + dt.timedelta(seconds=40))  # the other consumer, later that minute
    assert {"events_sweep", "operations.reaper"} <= first
    assert second == set()


def test_the_schedulers_call_without_a_time_claims_the_current_minute(ctx):
    """Huey's scheduler calls ``read_periodic(None)``: the tick is the current minute."""
    before = huey.now().replace(second=0, microsecond=0)
    assert "events_sweep" in due_names(None)
    after = huey.now().replace(second=0, microsecond=0)
    ticks = db.session.scalars(
        select(PeriodicClaim.tick).where(PeriodicClaim.task == "events_sweep")
    ).all()
    assert [t.replace(tzinfo=None) for t in ticks] in ([before], [after])


def test_the_next_minute_is_a_new_tick(ctx):
    assert "events_sweep" in due_names(TICK)
    assert "events_sweep" in due_names(TICK + dt.timedelta(minutes=1))


def test_claims_older_than_a_day_are_dropped(ctx):
    due_names(TICK)
    due_names(TICK + dt.timedelta(days=2))
    ticks = db.session.scalars(select(PeriodicClaim.tick).distinct()).all()
    assert [t.replace(tzinfo=None) for t in ticks] == [TICK + dt.timedelta(days=2)]


def test_a_claim_names_who_made_it(ctx):
    import os

    due = due_names(TICK)
    holders = db.session.scalars(select(PeriodicClaim.claimed_by).distinct()).all()
    assert len(holders) == 1 and holders[0].endswith(f":{os.getpid()}")
    assert db.session.scalar(select(func.count()).select_from(PeriodicClaim)) == len(due)
