"""Retention: one daily task deletes what has been kept long enough, in bounded batches.

Old system activities go except the newest of each subject + key, so last success and last
error always survive. The domains the activity package may not import (operations, events,
jobs) register their own purge with ``register_retention``; the task applies each one's
setting (days; 0 keeps forever), checking every setting before it deletes anything.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from huey import crontab
from sqlalchemy import Select, delete, exists, literal_column, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from webapp.activity.health import periodic_task
from webapp.activity.models import Activity, ActivityDeletePermit
from webapp.database import begin_write, rows_changed, utcnow
from webapp.extensions import db

log = logging.getLogger(__name__)

#: Rows one transaction of a purge deletes at most.
BATCH_SIZE = 1000

#: A purge: delete what ended before the cutoff (``purge(cutoff, batch_size)``), one committed
#: transaction per batch of at most ``batch_size`` rows; returns how many rows went.
Purge = Callable[[dt.datetime, int], int]


@dataclass(frozen=True)
class RetentionRule:
    """What the retention task purges (``name``, as its result reports it) and after how many
    days (the config key ``setting``)."""

    name: str
    setting: str
    purge: Purge


#: Every purge the retention task runs, by name, in registration order.
RETENTION_RULES: dict[str, RetentionRule] = {}


def register_retention(name: str, setting: str, purge: Purge) -> None:
    """Have the daily retention task run ``purge`` with the cutoff ``setting`` days ago."""
    if name in RETENTION_RULES:
        raise ValueError(f"retention {name!r} is registered twice")
    RETENTION_RULES[name] = RetentionRule(name, setting, purge)


def retention_days(config: Mapping[str, Any], setting: str) -> int:
    """The setting's number of days (0: keep forever); ValueError naming a bad value."""
    value = config.get(setting)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(
            f"{setting} must be a whole number of days (0 keeps forever), got {value!r}"
        )
    return value


def later_failure(table: Any, state: str, at: str) -> ColumnElement[bool]:
    """SQL: a later failure of the same ``name`` exists in ``table`` (by its ``at`` time, then
    id): what lets a purge keep the newest failure of each name. The ``state`` column's value
    is a literal, so both databases can use a partial index on the failed rows."""
    newer, row = table.alias("newer"), table.c
    return exists().where(
        newer.c[state] == literal_column("'failed'"),
        newer.c.name == row.name,
        newer.c[at] >= row[at],
        or_(newer.c[at] > row[at], newer.c.id > row.id),
    )


def delete_in_batches(candidates: Select[Any], delete_batch: Callable[[list[Any]], int]) -> int:
    """Delete in batches until ``candidates`` (a SELECT of the keys of one batch) finds none.

    Each batch is one transaction, committed before the next is chosen, so no purge holds
    SQLite's write lock for long. ``delete_batch(keys)`` deletes those of them still to go (it
    repeats the candidates' conditions, which a concurrent writer may have changed on
    PostgreSQL) and returns how many it deleted. Returns the total.
    """
    session = db.session
    total = 0
    while True:
        try:
            begin_write(session)  # it reads what it deletes: SQLite's write lock first
            keys = list(session.scalars(candidates))
            if keys:
                total += delete_batch(keys)
            session.commit()
        except Exception:
            session.rollback()
            raise
        if not keys:
            return total


def purge_activities_before(cutoff: dt.datetime, batch_size: int = BATCH_SIZE) -> int:
    """Delete system activities created before ``cutoff`` that are not the newest of their
    subject and key; one transaction per batch. Returns how many rows were deleted."""
    newer = aliased(Activity)
    has_newer = exists().where(
        newer.subject_type == Activity.subject_type,
        newer.subject_id == Activity.subject_id,
        newer.base_key == Activity.base_key,
        newer.key == Activity.key,
        newer.id > Activity.id,
    )
    candidates = (
        select(Activity.id)
        .where(Activity.system.is_(True), Activity.created_at < cutoff, has_newer)
        .order_by(Activity.id)
        .limit(batch_size)
    )

    def delete_batch(ids: list[int]) -> int:
        # The delete trigger lets rows go only while a permit exists in this transaction.
        permit = ActivityDeletePermit()
        db.session.add(permit)
        db.session.flush()
        gone = db.session.execute(delete(Activity).where(Activity.id.in_(ids)))
        db.session.delete(permit)
        return rows_changed(gone)

    return delete_in_batches(candidates, delete_batch)


def purge_old_activities(
    older_than_days: int, batch_size: int = BATCH_SIZE, now: dt.datetime | None = None
) -> int:
    """Delete system activities older than the cutoff that are not the newest of their subject
    and key; one transaction per batch. Returns how many rows were deleted."""
    if not isinstance(older_than_days, int) or older_than_days < 1:
        raise ValueError(f"older_than_days must be a positive integer, got {older_than_days!r}")
    return purge_activities_before(
        (now or utcnow()) - dt.timedelta(days=older_than_days), batch_size
    )


register_retention("activities", "ACTIVITY_RETENTION_DAYS", purge_activities_before)


def apply_retention(
    config: Mapping[str, Any], now: dt.datetime | None = None, batch_size: int = BATCH_SIZE
) -> dict[str, int]:
    """Run every registered purge with its setting's cutoff (a setting of 0 skips it); how many
    rows each deleted, by name. Every setting is checked before anything is deleted."""
    days = {rule.name: retention_days(config, rule.setting) for rule in RETENTION_RULES.values()}
    now = now or utcnow()
    purged = {}
    for rule in RETENTION_RULES.values():
        kept_for = days[rule.name]
        cutoff = now - dt.timedelta(days=kept_for)
        purged[rule.name] = rule.purge(cutoff, batch_size) if kept_for else 0
    log.info(
        "retention deleted %s",
        ", ".join(f"{count} {name}" for name, count in purged.items()),
    )
    return purged


@periodic_task(
    crontab(minute="17", hour="3"), period=dt.timedelta(days=1), name="activity_retention"
)
def activity_retention() -> dict[str, int]:
    """Daily: apply ACTIVITY_RETENTION_DAYS and every registered retention setting."""
    from flask import current_app

    return apply_retention(current_app.config)
