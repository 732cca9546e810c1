"""Retention: old system activities are deleted in batches, except the newest of each
subject + key, so last success and last error always survive."""

from __future__ import annotations

import datetime as dt

from huey import crontab
from sqlalchemy import delete, exists, select
from sqlalchemy.orm import aliased

from webapp.activity.health import periodic_task
from webapp.activity.models import Activity, ActivityDeletePermit
from webapp.database import utcnow
from webapp.extensions import db


def purge_old_activities(
    older_than_days: int, batch_size: int = 1000, now: dt.datetime | None = None
) -> int:
    """Delete system activities older than the cutoff that are not the newest of their subject
    and key; one transaction per batch. Returns how many rows were deleted."""
    if not isinstance(older_than_days, int) or older_than_days < 1:
        raise ValueError(f"older_than_days must be a positive integer, got {older_than_days!r}")
    cutoff = (now or utcnow()) - dt.timedelta(days=older_than_days)
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
    total = 0
    while True:
        ids = list(db.session.scalars(candidates))
        if not ids:
            db.session.commit()
            return total
        # The delete trigger lets rows go only while a permit exists in this transaction.
        permit = ActivityDeletePermit()
        db.session.add(permit)
        db.session.flush()
        db.session.execute(delete(Activity).where(Activity.id.in_(ids)))
        db.session.delete(permit)
        db.session.commit()
        total += len(ids)


@periodic_task(
    crontab(minute="17", hour="3"), period=dt.timedelta(days=1), name="activity_retention"
)
def activity_retention() -> int:
    """Daily: apply ACTIVITY_RETENTION_DAYS."""
    from flask import current_app

    return purge_old_activities(current_app.config["ACTIVITY_RETENTION_DAYS"])
