"""Pausing and resuming a periodic task: paused, no consumer runs it (``webapp.periodic``
leaves it unclaimed at every tick, and a run enqueued before the pause does nothing); resumed,
it runs once soon if a tick came due meanwhile, never once per missed tick."""

from __future__ import annotations

import logging

from sqlalchemy import update

from webapp.activity.health import PERIODIC_TASKS, PeriodicSpec, PeriodicSubject
from webapp.activity.service import record_activity
from webapp.database import upsert, utcnow
from webapp.extensions import db
from webapp.periodic import PeriodicPause

log = logging.getLogger(__name__)


def registered_periodic(name: str) -> PeriodicSpec:
    """The registered periodic task of this name; ValueError naming an unknown one."""
    spec = PERIODIC_TASKS.get(name) if isinstance(name, str) else None
    if spec is None:
        known = ", ".join(sorted(PERIODIC_TASKS))
        raise ValueError(f"unknown periodic task {name!r:.100}; registered: {known}")
    return spec


def pause_periodic(name: str, *, by_user_id: int | None = None) -> PeriodicPause:
    """Pause a periodic task until ``resume_periodic``: no consumer runs it meanwhile and its
    health is "paused". Pausing a paused task changes nothing. ValueError for an unknown name.
    Commits; every consumer sees the pause at its next tick."""
    registered_periodic(name)
    now = utcnow()
    values = {"paused": True, "paused_at": now, "paused_by": by_user_id, "missed_tick": None}
    stmt = (
        upsert(PeriodicPause)
        .values(task=name, **values)
        .on_conflict_do_update(
            index_elements=[PeriodicPause.task],
            set_=values,
            where=PeriodicPause.paused.is_(False),
        )
        .returning(PeriodicPause.task)
    )
    if db.session.execute(stmt).first() is not None:
        record_activity(
            f"{name}.paused",
            {"by_user_id": by_user_id},
            f"{name} paused",
            subject=PeriodicSubject(name),
            system=True,
            private=True,
            commit=False,
        )
    db.session.commit()
    return db.session.get_one(PeriodicPause, name, populate_existing=True)


def resume_periodic(name: str, *, by_user_id: int | None = None) -> PeriodicPause:
    """Resume a paused periodic task: if a tick came due while it was paused it is enqueued
    once now, then it runs on its schedule. Resuming a running task changes nothing. Its
    pause state after (a row never stored for a task never paused). ValueError for an
    unknown name. Commits."""
    spec = registered_periodic(name)
    stmt = (
        update(PeriodicPause)
        .where(PeriodicPause.task == name, PeriodicPause.paused.is_(True))
        .values(paused=False, resumed_at=utcnow(), resumed_by=by_user_id)
        .returning(PeriodicPause.missed_tick)  # not changed here: the tick it missed, if any
        .execution_options(synchronize_session=False)
    )
    resumed = db.session.execute(stmt).first()
    if resumed is not None:
        record_activity(
            f"{name}.resumed",
            {"by_user_id": by_user_id, "missed_tick": resumed.missed_tick is not None},
            f"{name} resumed",
            subject=PeriodicSubject(name),
            system=True,
            private=True,
            commit=False,
        )
    db.session.commit()
    # Enqueued after the commit: the run must find the task resumed. Only the caller that
    # resumed it (the conditional UPDATE) enqueues, so two resumes at once run it once.
    if resumed is not None and resumed.missed_tick is not None and spec.task is not None:
        try:
            spec.task()
        except Exception:
            # The pause is over: the task runs at its next tick anyway.
            log.exception("periodic task %s resumed; its missed run was not enqueued", name)
    state = db.session.get(PeriodicPause, name, populate_existing=True)
    return state if state is not None else PeriodicPause(task=name, paused=False)
