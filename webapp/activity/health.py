"""Health of periodic work: every periodic task records started/completed/failed, and
StatusChecker tells whether something is up, late, down, failing or never ran."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import select

from webapp.activity.models import Activity, PeriodicOutcome
from webapp.activity.queries import last_with_outcome
from webapp.activity.service import record_activity, subject_identity
from webapp.activity.validation import validate_key
from webapp.database import utcnow
from webapp.extensions import db, huey
from webapp.periodic import PeriodicPause, hold_paused, pause_states

log = logging.getLogger(__name__)

PERIODIC_SUBJECT = "periodic_task"


class Outcome(NamedTuple):
    """A periodic task's last success or last error, as ``overview()`` reports it (a named
    tuple: immutable, and built in a third of a frozen dataclass's time, 2,000 per call)."""

    id: int
    created_at: dt.datetime
    key: str
    value: Any
    message: str | None


@dataclass(frozen=True)
class PeriodicSpec:
    """A registered periodic task: how often it should succeed, and how late is tolerable."""

    name: str
    period: dt.timedelta
    grace: dt.timedelta
    schedule: str
    #: Its Huey task (calling it enqueues a run), None for a spec registered by hand.
    task: Any = field(default=None, compare=False, repr=False)


#: Every periodic task registered through ``periodic_task``, by name.
PERIODIC_TASKS: dict[str, PeriodicSpec] = {}


class PeriodicSubject:
    """The activity subject of a periodic task (system-wide: no owner)."""

    activity_subject_type = PERIODIC_SUBJECT
    activity_user_id = None

    def __init__(self, name: str) -> None:
        self.activity_subject_id = name


def describe_period(period: dt.timedelta) -> str:
    seconds = int(period.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"every {unit}" if count == 1 else f"every {count} {unit}s"
    return f"every {seconds} seconds"


def periodic_task(
    schedule: Callable,
    *,
    period: dt.timedelta,
    grace: dt.timedelta | None = None,
    name: str | None = None,
    schedule_text: str | None = None,
    **task_options: Any,
) -> Callable[[Callable[..., Any]], Any]:
    """Register a Huey periodic task that records its own health.

    ``schedule`` is a Huey ``crontab(...)``; ``period`` is how often it runs (what "late"
    is measured against) and ``grace`` how much lateness is tolerated (default: half the
    period). Each run records ``<name>.started``, then ``<name>.completed`` (value True) or
    ``<name>.failed`` (value False, the error as message) as system activities of the subject
    ``periodic_task:<name>``; the failure is re-raised so Huey's retries still apply. While
    the task is paused (``pause_periodic``) a run does nothing and notes the tick it missed.
    """

    def decorator(fn: Callable) -> Callable:
        task_name = name or fn.__name__
        validate_key(task_name)
        if task_name in PERIODIC_TASKS:
            raise ValueError(f"periodic task {task_name!r} is registered twice")
        subject = PeriodicSubject(task_name)

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            # Enqueued before its pause (or by a scheduler that read the pause just before
            # it committed): it waits for the resume, which runs it once.
            if hold_paused([task_name], utcnow()):
                db.session.commit()
                log.info("periodic task %s is paused: this run waits for its resume", task_name)
                return None
            record_activity(f"{task_name}.started", None, subject=subject, system=True)
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:
                db.session.rollback()
                detail = "".join(traceback.format_exception_only(exc)).strip()
                record_activity(
                    f"{task_name}.failed", False, detail[:10_000], subject=subject, system=True
                )
                raise
            record_activity(f"{task_name}.completed", True, subject=subject, system=True)
            return result

        task = huey.periodic_task(schedule, name=task_name, **task_options)(run)
        PERIODIC_TASKS[task_name] = PeriodicSpec(
            task_name,
            period,
            grace if grace is not None else period / 2,
            schedule_text or describe_period(period),
            task,
        )
        return task

    return decorator


def health_state(
    last_success: Activity | Outcome | None,
    last_error: Activity | Outcome | None,
    period: dt.timedelta,
    grace: dt.timedelta,
    now: dt.datetime,
    *,
    pause: PeriodicPause | None = None,
) -> str:
    """never / failing / up / late / down from the last success and the last error; paused
    while its ``pause`` says so. A task resumed after its last success is late or down only
    counting from its resume: the time it spent paused never makes it so."""
    if pause is not None and pause.paused:
        return "paused"
    if last_success is None:
        return "never" if last_error is None else "failing"
    if last_error is not None and last_error.id > last_success.id:
        return "failing"
    since = last_success.created_at
    if pause is not None and pause.resumed_at is not None and pause.resumed_at > since:
        since = pause.resumed_at
    age = now - since
    if age <= period:
        return "up"
    if age <= period + grace:
        return "late"
    return "down"


#: ``overview()``'s query: every row of the newest-outcome table (two at most per task),
#: built once (building a statement costs more than running this one); table columns, so
#: the rows are read without the ORM's compile and load steps.
_c = PeriodicOutcome.__table__.c
_OUTCOMES = select(_c.task, _c.activity_id, _c.created_at, _c.key, _c.outcome, _c.message)


class StatusChecker:
    """Last success, last error and health of a periodic task (by name) or any subject."""

    def __init__(self, subject_or_task_name: Any) -> None:
        if isinstance(subject_or_task_name, str):
            self.spec = PERIODIC_TASKS.get(subject_or_task_name)
            self.subject = (PERIODIC_SUBJECT, subject_or_task_name)
        else:
            self.spec = None
            self.subject = subject_identity(subject_or_task_name)

    @property
    def last_success(self) -> Activity | None:
        return last_with_outcome(*self.subject, True)

    @property
    def last_error(self) -> Activity | None:
        return last_with_outcome(*self.subject, False)

    def health(
        self,
        period: dt.timedelta | None = None,
        grace: dt.timedelta | None = None,
        now: dt.datetime | None = None,
    ) -> str:
        """ "never" | "up" | "late" | "down" | "failing", or "paused" for a periodic task
        paused now (period/grace default to the task's)."""
        if period is None:
            if self.spec is None:
                raise ValueError(f"no period given and {self.subject} is no registered task")
            period = self.spec.period
        if grace is None:
            grace = self.spec.grace if self.spec else dt.timedelta(0)
        kind, name = self.subject
        pause = db.session.get(PeriodicPause, name) if kind == PERIODIC_SUBJECT else None
        return health_state(
            self.last_success, self.last_error, period, grace, now or utcnow(), pause=pause
        )

    @classmethod
    def overview(cls, now: dt.datetime | None = None) -> list[dict[str, Any]]:
        """Every registered periodic task with its last success, last error (``Outcome`` or
        None), its ``pause`` (``PeriodicPause`` or None), whether it is ``paused`` and its
        state, from one query over ``PeriodicOutcome`` (the newest success and the newest
        error of each task, kept by the database as activities are written) and one over
        the few rows of ``PeriodicPause``."""
        specs = sorted(PERIODIC_TASKS.values(), key=lambda s: s.name)
        if not specs:
            return []
        now = now or utcnow()
        # The value of an activity with an outcome is that outcome (exactly True or False).
        found = {
            (task, outcome): Outcome(activity_id, created_at, key, outcome, message)
            for task, activity_id, created_at, key, outcome, message in db.session.execute(
                _OUTCOMES
            ).all()
        }
        pauses = pause_states()
        result = []
        for spec in specs:
            ok, err = found.get((spec.name, True)), found.get((spec.name, False))
            pause = pauses.get(spec.name)
            result.append(
                {
                    "name": spec.name,
                    "schedule": spec.schedule,
                    "period": spec.period,
                    "grace": spec.grace,
                    "last_success": ok,
                    "last_error": err,
                    "pause": pause,
                    "paused": pause is not None and pause.paused,
                    "state": health_state(ok, err, spec.period, spec.grace, now, pause=pause),
                }
            )
        return result
