"""Reading the log: every read is one query on an index, never a whole history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from webapp.activity.models import Activity
from webapp.activity.validation import key_prefix_bounds
from webapp.extensions import db


def subject_condition(subject_type: str | None, subject_id: str | None) -> ColumnElement[bool]:
    """Rows of this subject (None or "" = activities recorded without a subject)."""
    return and_(
        Activity.subject_type == (subject_type or ""), Activity.subject_id == (subject_id or "")
    )


def for_subject(subject_type: str | None, subject_id: str | None) -> Select:
    return select(Activity).where(subject_condition(subject_type, subject_id))


def last_with_key(subject_type: str | None, subject_id: str | None, key: str) -> Activity | None:
    from webapp.activity.validation import base_key

    stmt = (
        for_subject(subject_type, subject_id)
        .where(Activity.base_key == base_key(key), Activity.key == key)
        .order_by(Activity.id.desc())
        .limit(1)
    )
    return db.session.scalar(stmt)


def last_with_outcome(
    subject_type: str | None, subject_id: str | None, outcome: bool
) -> Activity | None:
    stmt = (
        for_subject(subject_type, subject_id)
        .where(Activity.outcome.is_(outcome))
        .order_by(Activity.id.desc())
        .limit(1)
    )
    return db.session.scalar(stmt)


def last_key_outcome(
    subject_type: str | None, subject_id: str | None, key: str, outcome: bool
) -> Activity | None:
    from webapp.activity.validation import base_key

    stmt = (
        for_subject(subject_type, subject_id)
        .where(Activity.base_key == base_key(key), Activity.key == key)
        .where(Activity.outcome.is_(outcome))
        .order_by(Activity.id.desc())
        .limit(1)
    )
    return db.session.scalar(stmt)


def page_for_subject(
    subject_type: str | None, subject_id: str | None, limit: int = 50, before: int | None = None
) -> list[Activity]:
    stmt = for_subject(subject_type, subject_id)
    if before is not None:
        stmt = stmt.where(Activity.id < before)
    return list(db.session.scalars(stmt.order_by(Activity.id.desc()).limit(limit)))


def latest_per_key(subject_type: str | None, subject_id: str | None) -> dict[str, Activity]:
    newest = (
        select(func.max(Activity.id))
        .where(subject_condition(subject_type, subject_id))
        .group_by(Activity.base_key, Activity.key)
    )
    rows = db.session.scalars(select(Activity).where(Activity.id.in_(newest)))
    return {row.key: row for row in sorted(rows, key=lambda a: a.id)}


def open_alert_condition(alert: Any = Activity) -> ColumnElement[bool]:
    """SQL: ``alert`` is still open (no later truthy activity of its subject and base key) and
    is the newest alert of that subject and base key (older repeats are superseded)."""
    later = aliased(Activity)
    same = and_(
        later.subject_type == alert.subject_type,
        later.subject_id == alert.subject_id,
        later.base_key == alert.base_key,
        later.id > alert.id,
    )
    resolved = exists().where(same, later.truthy.is_(True))
    superseded = exists().where(same, later.action_required.is_not(None))
    return and_(alert.action_required.is_not(None), ~resolved, ~superseded)


def open_alerts_for_subject(subject_type: str | None, subject_id: str | None) -> list[Activity]:
    stmt = (
        for_subject(subject_type, subject_id)
        .where(open_alert_condition())
        .order_by(Activity.id.desc())
    )
    return list(db.session.scalars(stmt))


def open_alerts_for_user(user_id: int, include_private: bool = False) -> list[Activity]:
    """Open alerts owned by this user, newest first."""
    stmt = select(Activity).where(Activity.user_id == user_id, open_alert_condition())
    if not include_private:
        stmt = stmt.where(Activity.private.is_(False))
    return list(db.session.scalars(stmt.order_by(Activity.id.desc())))


def alerts_resolved_by(activity_id: int) -> list[Activity]:
    """The alerts that this (truthy) activity resolved: open just before it, closed by it."""
    resolver = db.session.get(Activity, activity_id)
    if resolver is None or not resolver.truthy:
        return []
    alert = aliased(Activity)
    between = aliased(Activity)
    earlier_resolution = exists().where(
        between.subject_type == alert.subject_type,
        between.subject_id == alert.subject_id,
        between.base_key == alert.base_key,
        between.id > alert.id,
        between.id < resolver.id,
        between.truthy.is_(True),
    )
    stmt = (
        select(alert)
        .where(
            alert.subject_type == resolver.subject_type,
            alert.subject_id == resolver.subject_id,
            alert.base_key == resolver.base_key,
            alert.id < resolver.id,
            alert.action_required.is_not(None),
            ~earlier_resolution,
        )
        .order_by(alert.id)
    )
    return list(db.session.scalars(stmt))


def key_prefix_condition(prefix: str) -> ColumnElement[bool]:
    low, high = key_prefix_bounds(prefix)
    return and_(Activity.key >= low, Activity.key < high)
