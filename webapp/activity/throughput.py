"""Throughput from the log: how many jobs, operations, events and periodic tasks completed,
failed or were retried per minute or per hour, counted from their activities (one grouped
query over the log's subject-type and time index; no second store of figures)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import case, func, select

from webapp.activity.health import PERIODIC_SUBJECT
from webapp.activity.models import Activity
from webapp.database import utcnow
from webapp.extensions import db

#: The subjects counted, by the subject type of their activities, and how the page names them.
SUBJECTS = {
    "job": "Jobs",
    "operation": "Operations",
    "event_message": "Events",
    PERIODIC_SUBJECT: "Periodic tasks",
}
KINDS = ("completed", "failed", "retried")
#: (unit, how many): the last hour per minute, the last day per hour.
RANGES = {"hour": ("minute", 60), "day": ("hour", 24)}

#: The kind of an activity by the end of its key: ``<x>.completed`` (an event's
#: ``event.processed``), ``<x>.failed``, ``<x>.retried``; anything else is not counted (an
#: operation's ``operation.action_completed`` ends in ``_completed``, not ``.completed``).
_KIND = case(
    (Activity.key.like("%.completed"), "completed"),
    (Activity.key.like("%.processed"), "completed"),
    (Activity.key.like("%.failed"), "failed"),
    (Activity.key.like("%.retried"), "retried"),
    else_=None,
)


def bucket_starts(now: dt.datetime, unit: str, count: int) -> list[dt.datetime]:
    """The ``count`` UTC minutes (or hours) ending with the current one, oldest first."""
    now = now.astimezone(dt.UTC)
    step = dt.timedelta(minutes=1) if unit == "minute" else dt.timedelta(hours=1)
    last = now.replace(second=0, microsecond=0)
    if unit == "hour":
        last = last.replace(minute=0)
    return [last - step * n for n in range(count - 1, -1, -1)]


def _bucket(unit: str) -> Any:
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date_trunc(unit, Activity.created_at)
    pattern = "%Y-%m-%d %H:%M:00" if unit == "minute" else "%Y-%m-%d %H:00:00"
    return func.strftime(pattern, Activity.created_at)


def _as_time(value: Any) -> dt.datetime:
    """SQLite's strftime gives text, PostgreSQL's date_trunc a naive UTC timestamp."""
    when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return when.replace(tzinfo=dt.UTC)


def throughput(
    range_: str = "hour", now: dt.datetime | None = None
) -> tuple[list[dt.datetime], dict[str, dict[str, list[int]]]]:
    """The buckets of ``range_`` ("hour": 60 minutes, "day": 24 hours), oldest first, and per
    subject type and kind the count in each: ``{"job": {"completed": [..], ...}, ...}``."""
    if range_ not in RANGES:
        raise ValueError(f"unknown range {range_!r:.40}: expected one of {list(RANGES)}")
    unit, count = RANGES[range_]
    starts = bucket_starts(now or utcnow(), unit, count)
    bucket, kind = _bucket(unit), _KIND
    stmt = (
        select(Activity.subject_type, kind, bucket, func.count())
        .where(Activity.subject_type.in_(SUBJECTS), Activity.created_at >= starts[0])
        .group_by(Activity.subject_type, kind, bucket)
    )
    index = {start: i for i, start in enumerate(starts)}
    counts = {s: {k: [0] * count for k in KINDS} for s in SUBJECTS}
    for subject, what, when, n in db.session.execute(stmt):
        at = index.get(_as_time(when)) if what else None
        if at is not None:
            counts[subject][what][at] += n
    return starts, counts
