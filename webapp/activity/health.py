"""Health of periodic work: every periodic task records started/completed/failed, and
StatusChecker tells whether something is up, late, down, failing or never ran."""

from __future__ import annotations

import datetime as dt
import functools
import json
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY

from webapp.activity.models import Activity
from webapp.activity.queries import last_with_outcome
from webapp.activity.service import record_activity, subject_identity
from webapp.activity.validation import validate_key
from webapp.database import utcnow
from webapp.extensions import db, huey

PERIODIC_SUBJECT = "periodic_task"


#: What ``overview()`` reads of a task's last success and last error.
OUTCOME_FIELDS = ("id", "created_at", "key", "value", "message")


@dataclass(frozen=True, slots=True)
class Outcome:
    """A periodic task's last success or last error, as ``overview()`` reports it."""

    id: int
    created_at: dt.datetime
    key: str
    value: Any
    message: str | None


def _outcome(values) -> Outcome | None:
    return None if values[0] is None else Outcome(*values)


@dataclass(frozen=True)
class PeriodicSpec:
    """A registered periodic task: how often it should succeed, and how late is tolerable."""

    name: str
    period: dt.timedelta
    grace: dt.timedelta
    schedule: str


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
):
    """Register a Huey periodic task that records its own health.

    ``schedule`` is a Huey ``crontab(...)``; ``period`` is how often it runs (what "late"
    is measured against) and ``grace`` how much lateness is tolerated (default: half the
    period). Each run records ``<name>.started``, then ``<name>.completed`` (value True) or
    ``<name>.failed`` (value False, the error as message) as system activities of the subject
    ``periodic_task:<name>``; the failure is re-raised so Huey's retries still apply.
    """

    def decorator(fn: Callable) -> Callable:
        task_name = name or fn.__name__
        validate_key(task_name)
        if task_name in PERIODIC_TASKS:
            raise ValueError(f"periodic task {task_name!r} is registered twice")
        PERIODIC_TASKS[task_name] = PeriodicSpec(
            task_name,
            period,
            grace if grace is not None else period / 2,
            schedule_text or describe_period(period),
        )
        subject = PeriodicSubject(task_name)

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
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

        return huey.periodic_task(schedule, name=task_name, **task_options)(run)

    return decorator


def health_state(
    last_success_at: dt.datetime | None,
    last_error_at: dt.datetime | None,
    period: dt.timedelta,
    grace: dt.timedelta,
    now: dt.datetime,
    last_error_id: int | None = None,
    last_success_id: int | None = None,
) -> str:
    """never / failing / up / late / down from the last success and last error."""
    if last_success_at is None and last_error_at is None:
        return "never"
    if last_error_at is not None and (
        last_success_at is None or (last_error_id or 0) > (last_success_id or 0)
    ):
        return "failing"
    age = now - last_success_at
    if age <= period:
        return "up"
    if age <= period + grace:
        return "late"
    return "down"


@functools.lru_cache(maxsize=4)
def _overview_statement(dialect: str):
    """``overview()``'s query, built once per dialect with the task names as one bound
    parameter (an array on PostgreSQL, a JSON list on SQLite). Building it anew on every call
    cost more than running it, and left reference cycles behind whose collection stalled the
    process for tens of milliseconds."""
    if dialect == "postgresql":
        array = bindparam("names", type_=ARRAY(String))
        listed = func.unnest(array).table_valued("value").render_derived()
    else:
        listed = func.json_each(bindparam("names", type_=String)).table_valued("value")
    names = select(listed.c.value.label("value")).subquery("names")
    table = Activity.__table__

    def newest(outcome: bool):
        a = table.alias()
        return (
            select(a.c.id)
            .where(
                a.c.subject_type == PERIODIC_SUBJECT,
                a.c.subject_id == names.c.value,
                a.c.outcome.is_(outcome),
            )
            .order_by(a.c.id.desc())
            .limit(1)
            .correlate(names)
            .scalar_subquery()
        )

    # The two ids per task first, then the rows by primary key: a planner given the lookups
    # inside join conditions may run them once per candidate row. Core columns, not ORM
    # entities: building 2,000 Activity objects cost several times the query.
    newest_ids = select(
        names.c.value.label("name"),
        newest(True).label("ok_id"),
        newest(False).label("err_id"),
    ).subquery("newest")
    ok, err = table.alias("ok"), table.alias("err")
    return (
        select(
            newest_ids.c.name,
            *(ok.c[k] for k in OUTCOME_FIELDS),
            *(err.c[k] for k in OUTCOME_FIELDS),
        )
        .select_from(newest_ids)
        .outerjoin(ok, ok.c.id == newest_ids.c.ok_id)
        .outerjoin(err, err.c.id == newest_ids.c.err_id)
    )


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
        """ "never" | "up" | "late" | "down" | "failing" (period/grace default to the task's)."""
        if period is None:
            if self.spec is None:
                raise ValueError(f"no period given and {self.subject} is no registered task")
            period = self.spec.period
        if grace is None:
            grace = self.spec.grace if self.spec else dt.timedelta(0)
        ok, err = self.last_success, self.last_error
        return health_state(
            ok.created_at if ok else None,
            err.created_at if err else None,
            period,
            grace,
            now or utcnow(),
            err.id if err else None,
            ok.id if ok else None,
        )

    @classmethod
    def overview(cls, now: dt.datetime | None = None) -> list[dict[str, Any]]:
        """Every registered periodic task with its last success, last error (``Outcome`` or
        None) and state, from one query (per task, two index lookups: the newest success and
        the newest error)."""
        specs = sorted(PERIODIC_TASKS.values(), key=lambda s: s.name)
        if not specs:
            return []
        now = now or utcnow()
        dialect = db.engine.dialect.name
        names = [s.name for s in specs]
        param = names if dialect == "postgresql" else json.dumps(names)
        rows = db.session.execute(_overview_statement(dialect), {"names": param})
        width = len(OUTCOME_FIELDS)
        by_name = {
            row[0]: (_outcome(row[1 : 1 + width]), _outcome(row[1 + width :])) for row in rows
        }
        result = []
        for spec in specs:
            ok, err = by_name.get(spec.name, (None, None))
            result.append(
                {
                    "name": spec.name,
                    "schedule": spec.schedule,
                    "period": spec.period,
                    "grace": spec.grace,
                    "last_success": ok,
                    "last_error": err,
                    "state": health_state(
                        ok.created_at if ok else None,
                        err.created_at if err else None,
                        spec.period,
                        spec.grace,
                        now,
                        err.id if err else None,
                        ok.id if ok else None,
                    ),
                }
            )
        return result
